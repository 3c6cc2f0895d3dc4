package httpcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kvkit/kv"
)

// maxVariants bounds the variant list of one URL; the oldest are forgotten
// (they stay reachable, but are no longer invalidated together).
const maxVariants = 64

// responseStore is the responses store behind its guard, with what the
// Transport keeps in it: responses, variant lists and (without a
// redirects store) aliases.
type responseStore struct {
	g     guarded[*Response]
	now   func() time.Time
	idxMu sync.Mutex // serialises updates of variant lists
	vary  varyNormalizers
}

// get returns the entry under key, or nil when it is absent, unreadable,
// of another format version (those are reported as kv.ErrCorrupt and
// deleted), or the store fails or is skipped.
func (s *responseStore) get(ctx context.Context, b *budget, key string) *Response {
	e, err := s.g.get(ctx, b, key)
	switch {
	case err == nil && e != nil && e.Version == FormatVersion:
		return e
	case err == nil:
		// Decodable, but written in another format (or a CBOR null):
		// as unusable as bytes that do not decode.
		version := -1
		if e != nil {
			version = e.Version
		}
		s.g.rep.report(fmt.Errorf("httpcache: dropping entry %s: format version %d, want %d: %w", key, version, FormatVersion, kv.ErrCorrupt))
		_ = s.g.del(ctx, b, key)
		return nil
	case errors.Is(err, kv.ErrCorrupt):
		s.g.rep.report(fmt.Errorf("httpcache: dropping entry %s: %w", key, err))
		_ = s.g.del(ctx, b, key)
		return nil
	default:
		return nil
	}
}

// load returns the stored response for a request with header h under
// primary, following a variant list.
func (s *responseStore) load(ctx context.Context, b *budget, primary string, h http.Header) *Response {
	e, _ := s.loadVariant(ctx, b, primary, h)
	return e
}

// loadVariant is load, and also reports a vary miss: a variant list under
// primary that holds no response for h.
func (s *responseStore) loadVariant(ctx context.Context, b *budget, primary string, h http.Header) (*Response, bool) {
	e := s.get(ctx, b, primary)
	if e == nil {
		return nil, false
	}
	switch e.Kind {
	case KindResponse:
		return e, false
	case KindVariants:
		if v := s.get(ctx, b, s.vary.variantKey(primary, e.Vary, h)); v != nil && v.Kind == KindResponse {
			return v, false
		}
		return nil, true
	}
	return nil, false
}

// set writes e under key with a store TTL from e.Until. It reports
// whether the entry was written.
func (s *responseStore) set(ctx context.Context, b *budget, key string, e *Response) bool {
	return s.g.set(ctx, b, key, e, e.Until, s.now()) == nil
}

// del deletes key.
func (s *responseStore) del(ctx context.Context, b *budget, key string) error {
	return s.g.del(ctx, b, key)
}

// store writes e for a request with header h: under primary, or, when it
// varies by request headers (names), under its variant key with the
// variant list under primary. It reports whether e was written.
func (s *responseStore) store(ctx context.Context, b *budget, primary string, h http.Header, e *Response, names []string) bool {
	if len(names) == 0 {
		return s.set(ctx, b, primary, e)
	}
	vk := s.vary.variantKey(primary, names, h)
	if !s.set(ctx, b, vk, e) {
		return false
	}
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	idx := &Response{Version: FormatVersion, Kind: KindVariants, Method: e.Method, URL: e.URL, Vary: names, Variants: []string{vk}, Until: e.Until}
	if old := s.get(ctx, b, primary); old != nil && old.Kind == KindVariants {
		vs := slices.DeleteFunc(slices.Clone(old.Variants), func(k string) bool { return k == vk })
		if len(vs) >= maxVariants {
			vs = vs[len(vs)-maxVariants+1:]
		}
		idx.Variants = append(vs, vk)
		if old.Until.IsZero() || (!idx.Until.IsZero() && old.Until.After(idx.Until)) {
			idx.Until = old.Until
		}
	}
	return s.set(ctx, b, primary, idx)
}

// deleteKey deletes the entry under primary and its variants, and returns
// the errors of the deletes.
func (s *responseStore) deleteKey(ctx context.Context, b *budget, primary string) error {
	var errs []error
	if e := s.get(ctx, b, primary); e != nil && e.Kind == KindVariants {
		for _, vk := range e.Variants {
			errs = append(errs, s.del(ctx, b, vk))
		}
	}
	errs = append(errs, s.del(ctx, b, primary))
	return errors.Join(errs...)
}
