package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

// defaultStoreURL is the store used without --store: a SQLite file under
// the user cache directory, so the command works with nothing installed.
func defaultStoreURL() string {
	return "sqlite://" + filepath.ToSlash(filepath.Join(userCacheDir(), "kvcache", "cache.db"))
}

// defaultStatsURL is where the command keeps its own counters without
// --stats-store: a file store beside the default cache, apart from every
// cache, so that no cache holds anything the library did not write.
func defaultStatsURL() string {
	return "file://" + filepath.ToSlash(filepath.Join(userCacheDir(), "kvcache", "stats"))
}

func userCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return dir
}

// cacheFlags name a cache: the stores given to httpcache.NewFromStores.
// Commands that work on one cache embed them.
type cacheFlags struct {
	Store     string `help:"Store URL of the cache's responses (memory:, file:///dir, sqlite:///path?table=t, badger:///dir, redis://host:port?prefix=p, mongodb://host/db, dynamodb://table, postgres://user:pass@host/db?table=t)." default:"${store}" env:"KVCACHE_STORE"`
	Redirects string `help:"Store URL of the cache's redirect aliases when they are kept apart (the second store of httpcache.NewFromStores); by default they are in --store." env:"KVCACHE_REDIRECTS" placeholder:"URL"`
}

// statsFlags name the store of the command's counters; the commands that
// record, show or clear them embed it.
type statsFlags struct {
	StatsStore string `name:"stats-store" help:"Store URL of the command's own counters (hit, miss, ...), kept per cache URL." default:"${stats}" env:"KVCACHE_STATS" placeholder:"URL"`
}

// openMode says how a command opens a cache.
type openMode int

const (
	// readOnly never creates nor writes anything: ls, stats, copy --from.
	readOnly openMode = iota
	// existing writes to a cache that must already exist: purge, clear, rm.
	existing
	// create opens the cache, creating it if needed: fetch, proxy, demo.
	create
)

// openStore opens the store rawURL names in mode m.
func openStore(ctx context.Context, rawURL string, m openMode) (kv.Store[string, []byte], error) {
	switch m {
	case readOnly:
		return stores.OpenReadOnly(ctx, rawURL)
	case existing:
		ro, err := stores.OpenReadOnly(ctx, rawURL)
		if err != nil {
			return nil, err
		}
		if err := ro.Close(); err != nil {
			return nil, err
		}
	}
	return stores.Open(ctx, rawURL)
}

// cache is an opened cache: the store (or two) a Transport made by
// httpcache.NewFromStores reads and writes, in the library's own layout.
type cache struct {
	responses kv.Store[string, []byte]
	redirects kv.Store[string, []byte]   // nil: aliases are in responses
	opened    []kv.Store[string, []byte] // what Close closes (the above may be wrapped)
}

func openCache(ctx context.Context, f cacheFlags, m openMode) (*cache, error) {
	responses, err := openStore(ctx, f.Store, m)
	if err != nil {
		return nil, missing(f.Store, err)
	}
	c := &cache{responses: responses, opened: []kv.Store[string, []byte]{responses}}
	if f.Redirects != "" {
		if c.redirects, err = openStore(ctx, f.Redirects, m); err != nil {
			responses.Close()
			return nil, missing(f.Redirects, err)
		}
		c.opened = append(c.opened, c.redirects)
	}
	return c, nil
}

// missing names the URL in the error of a cache that is not there, and
// says what to do about one that cannot be written.
func missing(rawURL string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no cache at %s: %w", stores.Redact(rawURL), err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot open the cache at %s (name a writable one with --store or $KVCACHE_STORE): %w", stores.Redact(rawURL), err)
	}
	return err
}

// transport returns an HTTP cache over c. Closing it does not close c.
func (c *cache) transport(opts ...httpcache.Option) *httpcache.Transport {
	return httpcache.NewFromStores(c.responses, c.redirects, opts...)
}

// Close closes the stores the cache opened.
func (c *cache) Close() error {
	var errs []error
	for _, s := range c.opened {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// withTransport opens the cache f names in mode m, runs fn with it and an
// HTTP cache over it, and closes both.
func withTransport(ctx context.Context, f cacheFlags, m openMode, fn func(*cache, *httpcache.Transport) error, opts ...httpcache.Option) error {
	ch, err := openCache(ctx, f, m)
	if err != nil {
		return err
	}
	defer ch.Close()
	t := ch.transport(opts...)
	defer t.Close()
	return fn(ch, t)
}

// counters are how the cache's responses were served, as far as the
// command saw them (fetch and proxy record them).
type counters struct {
	Hit         int64 `cbor:"hit" json:"hit"`
	Miss        int64 `cbor:"miss" json:"miss"`
	Stale       int64 `cbor:"stale" json:"stale"`
	Revalidated int64 `cbor:"reval" json:"revalidated"`
	Bypass      int64 `cbor:"bypass" json:"bypass"`
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

// statsKey is the key of a cache's counters in the stats store: the
// SHA-256 of the cache's URL, so that one stats store serves every cache
// and holds no credential.
func statsKey(cacheURL string) string {
	sum := sha256.Sum256([]byte(cacheURL))
	return hex.EncodeToString(sum[:])
}

// statsStore is the store of the command's counters, opened for one
// cache.
type statsStore struct {
	key   string
	store kv.Store[string, counters]
}

// openStats opens the counters of the cache cacheURL names in the stats
// store f names.
func openStats(ctx context.Context, f statsFlags, cacheURL string, m openMode) (*statsStore, error) {
	raw, err := openStore(ctx, f.StatsStore, m)
	if err != nil {
		return nil, fmt.Errorf("counters at %s: %w", stores.Redact(f.StatsStore), err)
	}
	return &statsStore{key: statsKey(cacheURL), store: kv.Typed(raw, kv.StringKeys(), kv.CBOR[counters]())}, nil
}

// Close closes the store (and the one under it, which Typed owns).
func (s *statsStore) Close() error { return s.store.Close() }

// add adds d to the stored counters. Two processes adding at once may
// lose one's addition: the counters are a guide, not an account.
func (s *statsStore) add(ctx context.Context, d counters) error {
	if d.total() == 0 {
		return nil
	}
	old, err := s.load(ctx)
	if err != nil {
		return err
	}
	return s.store.Set(ctx, s.key, old.add(d))
}

func (s *statsStore) load(ctx context.Context) (counters, error) {
	n, err := s.store.Get(ctx, s.key)
	if errors.Is(err, kv.ErrNotFound) || errors.Is(err, kv.ErrCorrupt) {
		return counters{}, nil
	}
	if err != nil {
		return counters{}, fmt.Errorf("read counters: %w", err)
	}
	return n, nil
}

// clear deletes the cache's counters.
func (s *statsStore) clear(ctx context.Context) error {
	if err := s.store.Delete(ctx, s.key); err != nil && !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	return nil
}

// recordStats adds d to the counters of the cache cacheURL names.
// Counting is a side job: when the stats store cannot be written, the
// command says so on stderr and goes on.
func recordStats(e *env, f statsFlags, cacheURL string, d counters) {
	if d.total() == 0 {
		return
	}
	s, err := openStats(e.ctx, f, cacheURL, create)
	if err == nil {
		err = errors.Join(s.add(context.WithoutCancel(e.ctx), d), s.Close())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "kvcache: counters not saved (set --stats-store or $KVCACHE_STATS to a writable store): %v\n", err)
	}
}

// isNotExist reports an error of something that is not there.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
