package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

// Key prefixes of the command's namespaces within the store a URL names.
const (
	cachePrefix = "c:" // responses and redirect aliases (httpcache)
	metaPrefix  = "m:" // the command's own counters
	statsKey    = "stats"
)

// defaultStoreURL is the store used without --store: a SQLite file under
// the user cache directory, so the command works with nothing installed.
func defaultStoreURL() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return "sqlite://" + filepath.ToSlash(filepath.Join(dir, "kvcache", "cache.db"))
}

// cache is an opened cache: the store a URL names, split into namespaces.
type cache struct {
	raw       kv.Store[string, []byte]
	responses kv.Store[string, []byte]
	stats     kv.Store[string, counters]
}

func openCache(ctx context.Context, storeURL string) (*cache, error) {
	raw, err := stores.Open(ctx, storeURL)
	if err != nil {
		return nil, err
	}
	return &cache{
		raw:       raw,
		responses: namespace{raw: raw, prefix: cachePrefix},
		stats:     kv.Typed[string, counters](namespace{raw: raw, prefix: metaPrefix}, kv.StringKeys(), kv.CBOR[counters]()),
	}, nil
}

// transport returns an HTTP cache over c. Closing it does not close c.
func (c *cache) transport(opts ...httpcache.Option) *httpcache.Transport {
	return httpcache.NewFromStores(c.responses, nil, opts...)
}

func (c *cache) Close() error { return c.raw.Close() }

// withTransport opens the cache storeURL names, runs f with it and an HTTP
// cache over it, and closes both.
func withTransport(ctx context.Context, storeURL string, f func(*cache, *httpcache.Transport) error, opts ...httpcache.Option) error {
	ch, err := openCache(ctx, storeURL)
	if err != nil {
		return err
	}
	defer ch.Close()
	t := ch.transport(opts...)
	defer t.Close()
	return f(ch, t)
}

// counters are how the cache's responses were served, as far as the
// command saw them (fetch and proxy record them).
type counters struct {
	Hit         int64 `cbor:"hit"`
	Miss        int64 `cbor:"miss"`
	Stale       int64 `cbor:"stale"`
	Revalidated int64 `cbor:"reval"`
	Bypass      int64 `cbor:"bypass"`
}

func (n *counters) count(s httpcache.Status) {
	switch s {
	case httpcache.Hit:
		n.Hit++
	case httpcache.Miss:
		n.Miss++
	case httpcache.Stale:
		n.Stale++
	case httpcache.Revalidated:
		n.Revalidated++
	default:
		n.Bypass++
	}
}

func (n counters) add(d counters) counters {
	return counters{n.Hit + d.Hit, n.Miss + d.Miss, n.Stale + d.Stale, n.Revalidated + d.Revalidated, n.Bypass + d.Bypass}
}

func (n counters) total() int64 { return n.Hit + n.Miss + n.Stale + n.Revalidated + n.Bypass }

// addStats adds d to the stored counters. Two processes adding at once may
// lose one's addition: the counters are a guide, not an account.
func (c *cache) addStats(ctx context.Context, d counters) error {
	if d.total() == 0 {
		return nil
	}
	old, err := c.loadStats(ctx)
	if err != nil {
		return err
	}
	return c.stats.Set(ctx, statsKey, old.add(d))
}

func (c *cache) loadStats(ctx context.Context) (counters, error) {
	n, err := c.stats.Get(ctx, statsKey)
	if errors.Is(err, kv.ErrNotFound) || errors.Is(err, kv.ErrCorrupt) {
		return counters{}, nil
	}
	if err != nil {
		return counters{}, fmt.Errorf("read counters: %w", err)
	}
	return n, nil
}
