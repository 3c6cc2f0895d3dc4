package httpcache

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kvkit/kv"
)

// EntryInfo describes one stored response.
type EntryInfo struct {
	// Key is the entry's key in the responses store.
	Key string
	// Method and URL of the request (normalised, ignored parameters
	// removed).
	Method string
	URL    string
	// RequestHeader holds the request headers this variant was selected
	// by (credentials redacted); nil when the response does not vary.
	RequestHeader http.Header
	StatusCode    int
	// Size is the length of the stored body in bytes.
	Size int
	// Stored is when the response was received or last revalidated.
	Stored time.Time
	// Expires is when the response becomes stale (zero: never).
	Expires time.Time
	// Fresh reports whether the response is fresh now.
	Fresh bool
}

// Entries yields every stored response (variant lists and redirect aliases
// are not yielded). An error reading the store is yielded and ends the
// sequence, except a corrupt entry, which is yielded as an error wrapping
// kv.ErrCorrupt, after which the loop may go on.
func (t *Transport) Entries(ctx context.Context) iter.Seq2[EntryInfo, error] {
	return func(yield func(EntryInfo, error) bool) {
		now := t.o.now()
		for e, err := range t.resp.g.store.All(ctx) {
			if isLeaseKey(e.Key) {
				continue // a lease (WithLeases) kept in the same store
			}
			if err != nil {
				if !yield(EntryInfo{}, fmt.Errorf("httpcache: entries: %w", err)) || !errors.Is(err, kv.ErrCorrupt) {
					return
				}
				continue
			}
			r := e.Value
			if r == nil || r.Version != FormatVersion || r.Kind != KindResponse {
				continue
			}
			info := EntryInfo{
				Key: e.Key, Method: r.Method, URL: r.URL, RequestHeader: r.RequestHeader,
				StatusCode: r.StatusCode, Size: len(r.Body), Stored: r.ResponseTime,
				Expires: r.Expires, Fresh: r.fresh(now),
			}
			if !yield(info, nil) {
				return
			}
		}
	}
}

// DeleteExpired deletes every stored response that is stale (including
// those kept for revalidation), entries of another format version or that
// do not decode, and the variant lists and redirect aliases left pointing
// at nothing. It returns how many responses it deleted.
func (t *Transport) DeleteExpired(ctx context.Context) (int, error) {
	sw := sweep{now: t.o.now(), live: map[string]bool{}, indexes: map[string]*Response{}, aliases: map[string]string{}}
	for e, err := range t.resp.g.store.All(ctx) {
		if isLeaseKey(e.Key) {
			continue // a lease: it expires by itself
		}
		if err != nil {
			if !errors.Is(err, kv.ErrCorrupt) {
				return 0, fmt.Errorf("httpcache: delete expired: %w", err)
			}
			if e.Key != "" {
				sw.drop = append(sw.drop, e.Key)
			}
			continue
		}
		sw.add(e.Key, e.Value)
	}
	sw.orphans()
	if err := kv.DeleteMany(ctx, t.resp.g.store, sw.drop); err != nil {
		return 0, fmt.Errorf("httpcache: delete expired: %w", err)
	}
	return sw.deleted, t.aliases.sweep(ctx, sw.live)
}

// sweep is what DeleteExpired finds in the responses store.
type sweep struct {
	now     time.Time
	drop    []string
	live    map[string]bool      // keys of fresh responses and live variant lists
	indexes map[string]*Response // variant lists
	aliases map[string]string    // aliases kept in the responses store
	deleted int                  // responses among drop
}

// add sorts the entry r under key.
func (s *sweep) add(key string, r *Response) {
	switch {
	case r == nil || r.Version != FormatVersion:
		s.drop = append(s.drop, key)
	case r.Kind == KindVariants:
		s.indexes[key] = r
	case r.Kind == KindAlias:
		s.aliases[key] = r.Alias
	case !r.fresh(s.now):
		s.drop = append(s.drop, key)
		s.deleted++
	default:
		s.live[key] = true
	}
}

// orphans drops the variant lists with no live variant and the aliases
// to nothing live.
func (s *sweep) orphans() {
	for k, idx := range s.indexes {
		if slices.ContainsFunc(idx.Variants, func(vk string) bool { return s.live[vk] }) {
			s.live[k] = true
		} else {
			s.drop = append(s.drop, k)
		}
	}
	for k, target := range s.aliases {
		if !s.live[target] {
			s.drop = append(s.drop, k)
		}
	}
}

// DeleteURL deletes the stored GET and HEAD responses of rawURL (every
// variant) and the redirect alias from it. Store errors are returned (not
// reported to the error hook); the store breaker does not apply, the
// store timeout does.
func (t *Transport) DeleteURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("httpcache: delete url: %w", err)
	}
	return t.deleteURL(ctx, &budget{direct: true}, u)
}

// Clear deletes everything from both stores.
func (t *Transport) Clear(ctx context.Context) error {
	var errs []error
	if err := t.resp.g.store.Clear(ctx); err != nil {
		errs = append(errs, fmt.Errorf("httpcache: clear responses: %w", err))
	}
	if err := t.aliases.clear(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
