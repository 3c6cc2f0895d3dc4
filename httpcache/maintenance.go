package httpcache

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
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
		for e, err := range t.responses.All(ctx) {
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
	now := t.o.now()
	var (
		drop     []string
		live     = map[string]bool{}
		indexes  = map[string]*Response{}
		aliases  = map[string]string{}
		nDeleted int
	)
	for e, err := range t.responses.All(ctx) {
		if err != nil {
			if errors.Is(err, kv.ErrCorrupt) {
				if e.Key != "" {
					drop = append(drop, e.Key)
				}
				continue
			}
			return 0, fmt.Errorf("httpcache: delete expired: %w", err)
		}
		r := e.Value
		switch {
		case r == nil || r.Version != FormatVersion:
			drop = append(drop, e.Key)
		case r.Kind == KindVariants:
			indexes[e.Key] = r
		case r.Kind == KindAlias:
			aliases[e.Key] = r.Alias
		case !r.fresh(now):
			drop = append(drop, e.Key)
			nDeleted++
		default:
			live[e.Key] = true
		}
	}
	for k, idx := range indexes {
		alive := false
		for _, vk := range idx.Variants {
			alive = alive || live[vk]
		}
		if alive {
			live[k] = true
		} else {
			drop = append(drop, k)
		}
	}
	for k, target := range aliases {
		if !live[target] {
			drop = append(drop, k)
		}
	}
	if err := kv.DeleteMany(ctx, t.responses, drop); err != nil {
		return 0, fmt.Errorf("httpcache: delete expired: %w", err)
	}
	if t.redirects == nil {
		return nDeleted, nil
	}
	var dropAliases []string
	for e, err := range t.redirects.All(ctx) {
		if err != nil {
			if errors.Is(err, kv.ErrCorrupt) {
				continue
			}
			return nDeleted, fmt.Errorf("httpcache: delete expired redirects: %w", err)
		}
		if !live[e.Value] {
			dropAliases = append(dropAliases, e.Key)
		}
	}
	if err := kv.DeleteMany(ctx, t.redirects, dropAliases); err != nil {
		return nDeleted, fmt.Errorf("httpcache: delete expired redirects: %w", err)
	}
	return nDeleted, nil
}

// DeleteURL deletes the stored GET and HEAD responses of rawURL (every
// variant) and the redirect alias from it. Store errors are returned.
func (t *Transport) DeleteURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("httpcache: delete url: %w", err)
	}
	var errs []error
	t.withHook(func(err error) { errs = append(errs, err) }).deleteURL(ctx, u)
	return errors.Join(errs...)
}

// withHook returns a shallow view of t that reports to f instead; used to
// return errors from maintenance calls.
func (t *Transport) withHook(f func(error)) *Transport {
	v := &Transport{o: t.o, responses: t.responses, redirects: t.redirects}
	v.o.hook, v.o.logger = f, nil
	return v
}

// Clear deletes everything from both stores.
func (t *Transport) Clear(ctx context.Context) error {
	var errs []error
	if err := t.responses.Clear(ctx); err != nil {
		errs = append(errs, fmt.Errorf("httpcache: clear responses: %w", err))
	}
	if t.redirects != nil {
		if err := t.redirects.Clear(ctx); err != nil {
			errs = append(errs, fmt.Errorf("httpcache: clear redirects: %w", err))
		}
	}
	return errors.Join(errs...)
}
