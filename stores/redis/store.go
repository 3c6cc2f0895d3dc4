package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
	"github.com/redis/rueidis"
)

// Store is a kv.Store[string, []byte] over Redis, holding its entries as
// Redis strings under the key prefix "name:". It implements
// kv.BatchGetter, kv.BatchSetter, kv.BatchDeleter, kv.PrefixScanner and
// kv.KeyScanner,
// works on a standalone server, through Sentinel and on a cluster, and is
// safe for concurrent use.
//
// Make one with New or Open; the zero Store is not usable.
type Store struct {
	client rueidis.Client
	owned  bool // Close closes client
	name   string
	prefix string // name + ":"
	opts   options
	life   storekit.Lifecycle
}

var (
	_ kv.Store[string, []byte]       = (*Store)(nil)
	_ kv.BatchGetter[string, []byte] = (*Store)(nil)
	_ kv.BatchSetter[string, []byte] = (*Store)(nil)
	_ kv.BatchDeleter[string]        = (*Store)(nil)
	_ kv.PrefixScanner[[]byte]       = (*Store)(nil)
	_ kv.KeyScanner                  = (*Store)(nil)
)

// New returns a store named name on client, which the caller owns: Close
// does not close it, and the caller closes it after the last store built
// on it. Any number of stores with different names may share one client.
//
// The store keeps its entries under the Redis keys "name:" + key. Names
// are not otherwise restricted, but a name followed by ':' must not begin
// another store's name on the same server: the keys of a store named
// "a:b" are also keys of a store named "a" (as "b:..."), which would
// count, list and Clear them. An empty name is an error.
func New(client rueidis.Client, name string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errs.Err("new", errors.New("nil client"))
	}
	s, err := newStore(client, false, name, newOptions(opts))
	if err != nil {
		return nil, errs.Err("new", err)
	}
	return s, nil
}

// Open connects to Redis with rueidis.NewClient(clientOpts), checks that
// the server answers within ctx, and returns a store named name (see New)
// that closes the client on Close. Everything about the connection
// (addresses, cluster or Sentinel, AUTH, TLS, timeouts, pool sizes) is a
// field of rueidis.ClientOption; rueidis.ParseURL turns a redis:// or
// rediss:// URL into one.
func Open(ctx context.Context, clientOpts rueidis.ClientOption, name string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	if name == "" {
		return nil, errs.Err("open", errors.New("empty name"))
	}
	if err := ctx.Err(); err != nil {
		return nil, errs.Key("open", name, err)
	}
	client, err := rueidis.NewClient(clientOpts)
	if err != nil {
		return nil, errs.Key("open", name, err)
	}
	if err := client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		client.Close()
		return nil, errs.Key("open", name, fmt.Errorf("ping: %w", err))
	}
	s, err := newStore(client, true, name, o)
	if err != nil {
		client.Close()
		return nil, errs.Key("open", name, err)
	}
	return s, nil
}

// OpenReadOnly is Open for a store that only reads: every write (Set,
// Delete, Clear, SetMany, DeleteMany, the conditional writes) fails with
// an error wrapping kv.ErrReadOnly before it reaches the server. Redis
// has no place a store is made in, only its keys, so a name with no keys
// reads as an empty store: nothing tells it apart from a missing one.
func OpenReadOnly(ctx context.Context, clientOpts rueidis.ClientOption, name string, opts ...Option) (*Store, error) {
	s, err := Open(ctx, clientOpts, name, opts...)
	if err != nil {
		return nil, err
	}
	s.life.SetReadOnly()
	return s, nil
}

func newStore(client rueidis.Client, owned bool, name string, o options) (*Store, error) {
	if name == "" {
		return nil, errors.New("empty name")
	}
	return &Store{
		client: client,
		owned:  owned,
		name:   name,
		prefix: name + ":",
		opts:   o,
	}, nil
}

// Client returns the rueidis client the store uses.
func (s *Store) Client() rueidis.Client { return s.client }

// Name returns the store's name.
func (s *Store) Name() string { return s.name }

// Prefix returns the prefix of the store's Redis keys, the name followed
// by ':'.
func (s *Store) Prefix() string { return s.prefix }

// Key returns the Redis key under which the store keeps key.
func (s *Store) Key(key string) string { return s.prefix + key }

const errs storekit.Backend = "redis"

// wrap names the backend, the operation and the key (when there is one)
// in err, and adds the kv sentinel that err stands for.
func (s *Store) wrap(op string, key *string, err error) error {
	err = s.classify(err)
	if key != nil {
		return errs.Key(op, *key, err)
	}
	return errs.Err(op, err)
}

// classify adds to err the kv sentinel it stands for.
func (s *Store) classify(err error) error {
	switch {
	case errors.Is(err, kv.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, rueidis.ErrClosing) && s.life.Closed():
		// An owned client closed by Close while the call was under way.
		return fmt.Errorf("%w (%w)", kv.ErrClosed, err)
	case isWrongType(err):
		// Another program put a list, hash, ... under the store's prefix.
		return fmt.Errorf("%w: %w", kv.ErrCorrupt, err)
	}
	return err
}

// maxKeySize is Redis's limit on the length of a key.
const maxKeySize = 512 << 20

func isWrongType(err error) bool {
	re, ok := rueidis.IsRedisErr(err)
	return ok && strings.HasPrefix(re.Error(), "WRONGTYPE")
}

// bytesOf returns the value of a GET reply, and ok false for a nil reply.
// cached says whether the reply may come from the client-side cache,
// whose strings are shared and must be copied.
func bytesOf(m rueidis.RedisMessage, cached bool) (v []byte, ok bool, err error) {
	if m.IsNil() {
		return nil, false, nil
	}
	if cached {
		str, err := m.ToString()
		if err != nil {
			return nil, false, err
		}
		return []byte(str), true, nil
	}
	// A reply that is not cached is a fresh allocation the caller may own.
	v, err = m.AsBytes()
	if err != nil {
		return nil, false, err
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// Get returns the value stored under key, or an error wrapping
// kv.ErrNotFound when the key is absent or expired. A key that holds
// something other than a Redis string (written by another program) is an
// error wrapping kv.ErrCorrupt. With WithClientSideCache, Get reads
// through the client-side cache.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, s.wrap("get", &key, err)
	}
	var res rueidis.RedisResult
	cached := s.opts.cacheTTL > 0
	if cached {
		res = s.client.DoCache(ctx, s.client.B().Get().Key(s.prefix+key).Cache(), s.opts.cacheTTL)
	} else {
		res = s.client.Do(ctx, s.client.B().Get().Key(s.prefix+key).Build())
	}
	m, err := res.ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		return nil, s.wrap("get", &key, err)
	}
	v, ok, err := bytesOf(m, cached)
	if err != nil {
		return nil, s.wrap("get", &key, err)
	}
	if !ok {
		return nil, errs.Key("get", key, kv.ErrNotFound)
	}
	return v, nil
}

// setCommand returns the command that stores value under the Redis key rk
// to expire at expiresAt (zero: never) as seen at now: SET with PX, or
// UNLINK when expiresAt is not after now, since an entry that has already
// expired must not be visible.
func (s *Store) setCommand(rk string, value []byte, expiresAt, now time.Time) rueidis.Completed {
	if expiresAt.IsZero() {
		return s.client.B().Set().Key(rk).Value(string(value)).Build()
	}
	d := expiresAt.Sub(now)
	if d <= 0 {
		return s.client.B().Unlink().Key(rk).Build()
	}
	// Round up to Redis's millisecond: never expire before the time asked.
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	return s.client.B().Set().Key(rk).Value(string(value)).PxMilliseconds(ms).Build()
}

// checkSize returns an error wrapping kv.ErrTooLarge for a value or key
// Redis would not accept.
func (s *Store) checkSize(key string, value []byte) error {
	switch {
	case len(value) > s.opts.maxValueSize:
		return fmt.Errorf("%w: value of %d bytes, the limit is %d", kv.ErrTooLarge, len(value), s.opts.maxValueSize)
	case len(s.prefix)+len(key) > maxKeySize:
		return fmt.Errorf("%w: key of %d bytes", kv.ErrTooLarge, len(key))
	}
	return nil
}

// Set stores value under key with SET, replacing any earlier value and
// expiry. A TTL (kv.WithTTL, kv.WithExpiresAt) becomes the key's Redis
// expiry (PX, rounded up to the millisecond), so the server removes the
// entry itself; an expiry that has already passed deletes the key. A
// negative TTL is an error wrapping kv.ErrInvalidTTL, and a value over
// the limit (WithMaxValueSize) one wrapping kv.ErrTooLarge; neither
// writes anything.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.wrap("set", &key, err)
	}
	now := time.Now()
	o, err := kv.NewSetOptions(now, opts...)
	if err != nil {
		return s.wrap("set", &key, err)
	}
	if err := s.checkSize(key, value); err != nil {
		return s.wrap("set", &key, err)
	}
	if err := s.client.Do(ctx, s.setCommand(s.prefix+key, value, o.ExpiresAt, now)).Error(); err != nil {
		return s.wrap("set", &key, err)
	}
	return nil
}

// Delete removes key with UNLINK. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.wrap("delete", &key, err)
	}
	if err := s.client.Do(ctx, s.client.B().Unlink().Key(s.prefix+key).Build()).Error(); err != nil {
		return s.wrap("delete", &key, err)
	}
	return nil
}

// Has reports whether key is present (EXISTS). It always asks the server,
// with or without WithClientSideCache.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.life.Begin(ctx); err != nil {
		return false, s.wrap("has", &key, err)
	}
	n, err := s.client.Do(ctx, s.client.B().Exists().Key(s.prefix+key).Build()).AsInt64()
	if err != nil {
		return false, s.wrap("has", &key, err)
	}
	return n > 0, nil
}

// Len counts the store's keys with SCAN MATCH over every master. It costs
// a pass over the whole database (all stores and other data on the
// server), not only this store's keys; DBSIZE is not used because the
// database is shared.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.life.Begin(ctx); err != nil {
		return 0, s.wrap("len", nil, err)
	}
	n := 0
	for batch, err := range s.scan(ctx, s.match("")) {
		if err != nil {
			return 0, s.wrap("len", nil, err)
		}
		n += len(batch)
	}
	return n, nil
}

// Clear removes every key of the store, and nothing else: it finds them
// with SCAN MATCH on every master and removes them with UNLINK, a batch at
// a time. Keys written while Clear runs may survive it.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.wrap("clear", nil, err)
	}
	for batch, err := range s.scan(ctx, s.match("")) {
		if err != nil {
			return s.wrap("clear", nil, err)
		}
		if err := s.unlink(ctx, batch); err != nil {
			return s.wrap("clear", nil, err)
		}
	}
	return nil
}

// unlink removes the Redis keys rks: one UNLINK on a single server, one
// UNLINK per key (pipelined) on a cluster, where keys may live in
// different slots.
func (s *Store) unlink(ctx context.Context, rks []string) error {
	if len(rks) == 0 {
		return nil
	}
	var errs []error
	for _, err := range rueidis.MUnlink(s.client, ctx, rks) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Close marks the store closed, after which every method fails with an
// error wrapping kv.ErrClosed, and closes the client when the store owns
// it (Open). A store from New leaves its client open. Close is
// idempotent and always returns nil.
func (s *Store) Close() error {
	if !s.life.Close() {
		return nil
	}
	if s.owned {
		s.client.Close()
	}
	return nil
}
