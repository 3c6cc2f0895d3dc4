package httpcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kvkit/kv"
)

// aliasStore keeps redirect aliases: from the key of a redirected URL (an
// aliasKey) to the key of the final response. The Transport picks one
// kind when it is made: a store of its own (the redirects store), or
// entries of KindAlias in the responses store.
type aliasStore interface {
	// target returns the key k points to.
	target(ctx context.Context, b *budget, k string) (string, bool)
	// record makes k point to final until until (zero: no TTL); method
	// and url name the redirected request.
	record(ctx context.Context, b *budget, k, final, method, url string, until time.Time) error
	// remove deletes k.
	remove(ctx context.Context, b *budget, k string) error
	// sweep deletes the aliases whose target is not in live (for
	// DeleteExpired; aliases in the responses store are swept with it).
	sweep(ctx context.Context, live map[string]bool) error
	// clear deletes every alias (for Clear).
	clear(ctx context.Context) error
}

// ownAliases keeps aliases in a redirects store of their own.
type ownAliases struct {
	g   guarded[string]
	now func() time.Time
}

func (a *ownAliases) target(ctx context.Context, b *budget, k string) (string, bool) {
	target, err := a.g.get(ctx, b, k)
	if err != nil {
		if errors.Is(err, kv.ErrCorrupt) {
			a.g.rep.report(fmt.Errorf("httpcache: get redirect %s: %w", k, err))
		}
		return "", false
	}
	return target, true
}

func (a *ownAliases) record(ctx context.Context, b *budget, k, final, _, _ string, until time.Time) error {
	return a.g.set(ctx, b, k, final, until, a.now())
}

func (a *ownAliases) remove(ctx context.Context, b *budget, k string) error {
	return a.g.del(ctx, b, k)
}

func (a *ownAliases) sweep(ctx context.Context, live map[string]bool) error {
	var drop []string
	for e, err := range a.g.store.All(ctx) {
		if isLeaseKey(e.Key) {
			continue // a lease: it expires by itself
		}
		if err != nil {
			if errors.Is(err, kv.ErrCorrupt) {
				continue
			}
			return fmt.Errorf("httpcache: delete expired redirects: %w", err)
		}
		if !live[e.Value] {
			drop = append(drop, e.Key)
		}
	}
	if err := kv.DeleteMany(ctx, a.g.store, drop); err != nil {
		return fmt.Errorf("httpcache: delete expired redirects: %w", err)
	}
	return nil
}

func (a *ownAliases) clear(ctx context.Context) error {
	if err := a.g.store.Clear(ctx); err != nil {
		return fmt.Errorf("httpcache: clear redirects: %w", err)
	}
	return nil
}

// inlineAliases keeps aliases in the responses store, as entries of
// KindAlias, so that one store holds the whole cache.
type inlineAliases struct{ r *responseStore }

func (a inlineAliases) target(ctx context.Context, b *budget, k string) (string, bool) {
	if e := a.r.get(ctx, b, k); e != nil && e.Kind == KindAlias {
		return e.Alias, true
	}
	return "", false
}

func (a inlineAliases) record(ctx context.Context, b *budget, k, final, method, url string, until time.Time) error {
	e := &Response{Version: FormatVersion, Kind: KindAlias, Method: method, URL: url, Alias: final, Until: until}
	return a.r.g.set(ctx, b, k, e, until, a.r.now())
}

func (a inlineAliases) remove(ctx context.Context, b *budget, k string) error {
	return a.r.del(ctx, b, k)
}

func (inlineAliases) sweep(context.Context, map[string]bool) error { return nil }

func (inlineAliases) clear(context.Context) error { return nil }

// recordRedirects stores an alias to lk's key from every hop of the
// redirect chain that led to lk's request (http.Client sets
// Request.Response on each redirected request), with a store TTL until
// until. A hop whose redirect was itself served from the cache needs
// none: its stored redirect answers it.
func (t *Transport) recordRedirects(lk *lookup, until time.Time) {
	ctx := context.WithoutCancel(lk.req.Context())
	for hop := lk.req.Response; hop != nil && hop.Request != nil; hop = hop.Request.Response {
		hr := hop.Request
		if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
			continue
		}
		if s := CacheStatus(hop); s == Hit || s == Stale || s == Revalidated {
			continue
		}
		norm := t.o.normalizeURL(hr.URL)
		primary := t.o.primaryKey(hr, norm, nil)
		if primary == lk.primary {
			continue
		}
		_ = t.aliases.record(ctx, lk.wait, aliasKey(primary), lk.primary, hr.Method, norm, until)
	}
}
