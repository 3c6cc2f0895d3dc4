package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/kvkit/kv"
	"github.com/redis/rueidis"
)

// GetMany returns the values of the keys that are present; absent keys
// are missing from the map. On a single server it sends one MGET; on a
// cluster, one MGET per hash slot, pipelined. With WithClientSideCache it
// reads through the client-side cache (one GET per key that is not
// cached, pipelined). A key that holds something other than a Redis
// string (written by another program) is missing from the map, as MGET
// answers nil for it; through the cache it fails the call with an error
// wrapping kv.ErrCorrupt.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, s.wrap("get many", nil, err)
	}
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rks := make([]string, len(keys))
	for i, k := range keys {
		rks[i] = s.prefix + k
	}
	var (
		res    map[string]rueidis.RedisMessage
		err    error
		cached = s.opts.cacheTTL > 0
	)
	if cached {
		res, err = rueidis.MGetCache(s.client, ctx, s.opts.cacheTTL, rks)
	} else {
		res, err = rueidis.MGet(s.client, ctx, rks)
	}
	if err != nil {
		return nil, s.wrap("get many", nil, err)
	}
	for i, k := range keys {
		m, ok := res[rks[i]]
		if !ok {
			continue
		}
		if err := m.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return nil, s.wrap("get many", &k, err)
		}
		v, found, err := bytesOf(m, cached)
		if err != nil {
			return nil, s.wrap("get many", &k, err)
		}
		if found {
			out[k] = v
		}
	}
	return out, nil
}

// SetMany stores every entry, each with its own ExpiresAt (zero: never),
// as pipelined SETs with PX (an entry that has already expired deletes
// its key). When a key appears more than once, the last entry wins. A
// value over the limit fails the call with kv.ErrTooLarge before anything
// is written; on any other error some entries may have been written.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.wrap("set many", nil, err)
	}
	// The last entry of a key wins: drop the earlier ones, so that the
	// pipeline's order across connections does not matter.
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		if err := s.checkSize(e.Key, e.Value); err != nil {
			return s.wrap("set many", &e.Key, err)
		}
		last[e.Key] = i
	}
	now := time.Now()
	cmds := make(rueidis.Commands, 0, len(last))
	keys := make([]string, 0, len(last))
	for i, e := range entries {
		if last[e.Key] != i {
			continue
		}
		cmds = append(cmds, s.setCommand(s.prefix+e.Key, e.Value, e.ExpiresAt, now))
		keys = append(keys, e.Key)
	}
	if len(cmds) == 0 {
		return nil
	}
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return s.wrap("set many", &keys[i], err)
		}
	}
	return nil
}

// DeleteMany removes every key; absent keys are not an error. On a single
// server it sends one UNLINK; on a cluster, one UNLINK per key,
// pipelined, since the keys may live in different slots.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return s.wrap("delete many", nil, err)
	}
	rks := make([]string, len(keys))
	for i, k := range keys {
		rks[i] = s.prefix + k
	}
	if err := s.unlink(ctx, rks); err != nil {
		return s.wrap("delete many", nil, fmt.Errorf("unlink: %w", err))
	}
	return nil
}
