package redis

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kvkit/kv"
	"github.com/redis/rueidis"
)

// Iteration
//
// Keys, All, Scan, Len and Clear walk the store's keys with SCAN MATCH
// "name:*" (the name escaped for Redis's glob syntax), never KEYS. On a
// cluster each master holds the keys of its own slots, so the walk asks
// every node the client knows for its ROLE and SCANs each master in turn.
// SCAN may return a key more than once (while a node rehashes, or when a
// slot moves during the walk), so the walk remembers the keys it has
// passed on and drops repeats: memory proportional to the number of keys
// in the store. SCAN skips keys whose expiry has passed. A SCAN cursor
// holds nothing on the server, so breaking out of a loop just stops.

// globMeta holds the bytes with a meaning in Redis's glob patterns.
const globMeta = `*?[]\`

// escapeGlob escapes s for use in a SCAN MATCH pattern, so that it
// matches itself only.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, globMeta) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(globMeta, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// match returns the SCAN MATCH pattern of the store's keys that start
// with prefix.
func (s *Store) match(prefix string) string {
	return escapeGlob(s.prefix+prefix) + "*"
}

// masters returns a client for each node to SCAN: the client itself on a
// single server (standalone or Sentinel), and each master on a cluster.
func (s *Store) masters(ctx context.Context) ([]rueidis.Client, error) {
	if s.client.Mode() != rueidis.ClientModeCluster {
		return []rueidis.Client{s.client}, nil
	}
	nodes := s.client.Nodes()
	addrs := make([]string, 0, len(nodes))
	for addr := range nodes {
		addrs = append(addrs, addr)
	}
	slices.Sort(addrs)
	isMaster := make([]bool, len(addrs))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() {
			n := nodes[addr]
			role, err := n.Do(ctx, n.B().Role().Build()).ToArray()
			if err == nil && len(role) == 0 {
				err = errors.New("empty reply")
			}
			var r string
			if err == nil {
				r, err = role[0].ToString()
			}
			if err != nil {
				// A node that does not answer may be a master: its keys
				// cannot be listed, and a walk without them is wrong.
				errs[i] = fmt.Errorf("role of cluster node %s: %w", addr, err)
				return
			}
			isMaster[i] = r == "master"
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []rueidis.Client
	for i, addr := range addrs {
		if isMaster[i] {
			out = append(out, nodes[addr])
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the client knows no cluster master")
	}
	return out, nil
}

// scan yields the Redis keys that match pattern, one SCAN reply at a time,
// each key once, from every master. It checks ctx and the closed flag
// before each SCAN.
func (s *Store) scan(ctx context.Context, pattern string) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		nodes, err := s.masters(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		seen := make(map[string]struct{})
		for _, n := range nodes {
			var cursor uint64
			for {
				if err := s.life.Begin(ctx); err != nil {
					yield(nil, err)
					return
				}
				e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(pattern).Count(s.opts.scanCount).Build()).AsScanEntry()
				if err != nil {
					yield(nil, fmt.Errorf("scan: %w", err))
					return
				}
				batch := e.Elements[:0]
				for _, k := range e.Elements {
					if _, dup := seen[k]; dup || !strings.HasPrefix(k, s.prefix) {
						continue
					}
					seen[k] = struct{}{}
					batch = append(batch, k)
				}
				if len(batch) > 0 && !yield(batch, nil) {
					return
				}
				if e.Cursor == 0 {
					break
				}
				cursor = e.Cursor
			}
		}
	}
}

// Keys yields every key of the store, each once, in no particular order
// (see the package documentation on iteration). An error is yielded with
// the empty key and ends the sequence.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return s.keyNames(ctx, "keys", "")
}

// ScanKeys yields every key that starts with prefix, under the rules of
// Keys: SCAN MATCH as in Scan, without GET or PTTL, so no value is read
// (kv.KeyScanner; a namespace's Keys, Len and Clear). Redis drops an
// expired key from SCAN's replies itself, as it does for Keys.
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return s.keyNames(ctx, "scan keys", prefix)
}

// keyNames yields the store's keys that start with prefix, from SCAN
// MATCH alone.
func (s *Store) keyNames(ctx context.Context, op, prefix string) iter.Seq2[string, error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[string](s.wrap(op, nil, err))
	}
	return func(yield func(string, error) bool) {
		for batch, err := range s.scan(ctx, s.match(prefix)) {
			if err != nil {
				yield("", s.wrap(op, nil, err))
				return
			}
			for _, rk := range batch {
				if err := ctx.Err(); err != nil {
					yield("", s.wrap(op, nil, err))
					return
				}
				if !yield(rk[len(s.prefix):], nil) {
					return
				}
			}
		}
	}
}

// All yields every entry of the store, each once, in no particular order,
// with the time it expires at (from PTTL; the zero time when it does
// not). Values are read with GET and PTTL, pipelined, up to 100 keys of a
// SCAN reply per round trip. A key that holds something other than a
// Redis string is yielded as an error wrapping kv.ErrCorrupt, and the loop
// may go on; any other error ends the sequence.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.entries(ctx, "all", "")
}

// Scan yields every entry whose key starts with prefix, under the rules
// of All, using SCAN MATCH "name:prefix*" (escaped) so that Redis filters
// the keys.
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.entries(ctx, "scan", prefix)
}

func (s *Store) entries(ctx context.Context, op, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	type entry = kv.Entry[string, []byte]
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[entry](s.wrap(op, nil, err))
	}
	return func(yield func(entry, error) bool) {
		for batch, err := range s.scan(ctx, s.match(prefix)) {
			if err != nil {
				yield(entry{}, s.wrap(op, nil, err))
				return
			}
			for len(batch) > 0 {
				n := min(len(batch), fetchChunk)
				if !s.fetch(ctx, op, batch[:n], yield) {
					return
				}
				batch = batch[n:]
			}
		}
	}
}

// fetchChunk is how many entries All and Scan read in one round trip, and
// so hold in memory at once: a SCAN reply may name a thousand keys, whose
// values may be large.
const fetchChunk = 100

// fetch reads the entries of the Redis keys rks with GET and PTTL,
// pipelined, and yields them. It returns false when the sequence must end.
func (s *Store) fetch(ctx context.Context, op string, rks []string, yield func(kv.Entry[string, []byte], error) bool) bool {
	type entry = kv.Entry[string, []byte]
	cmds := make(rueidis.Commands, 0, 2*len(rks))
	for _, rk := range rks {
		cmds = append(cmds, s.client.B().Get().Key(rk).Build(), s.client.B().Pttl().Key(rk).Build())
	}
	before := time.Now()
	res := s.client.DoMulti(ctx, cmds...)
	// PTTL counts from when the server ran it: some time in the round
	// trip.
	now := before.Add(time.Since(before) / 2)
	for i, rk := range rks {
		key := rk[len(s.prefix):]
		e, ok, err := readEntry(key, res[2*i], res[2*i+1], now)
		if err != nil {
			err = s.wrap(op, &key, err)
			if !errors.Is(err, kv.ErrCorrupt) {
				yield(entry{}, err)
				return false
			}
			if !yield(entry{Key: key}, err) {
				return false
			}
			continue
		}
		if ok && !yield(e, nil) {
			return false
		}
	}
	return true
}

// readEntry makes an entry of the replies to GET and PTTL of one key at
// now. ok is false when the key is gone (deleted or expired since SCAN).
func readEntry(key string, get, pttl rueidis.RedisResult, now time.Time) (e kv.Entry[string, []byte], ok bool, err error) {
	m, err := get.ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		return e, false, err
	}
	v, ok, err := bytesOf(m, false)
	if err != nil || !ok {
		return e, false, err
	}
	ms, err := pttl.AsInt64()
	if err != nil {
		return e, false, err
	}
	e = kv.Entry[string, []byte]{Key: key, Value: v}
	switch {
	case ms == -1: // no expiry
	case ms <= 0: // gone between GET and PTTL (-2), or expiring now (0)
		return e, false, nil
	default:
		e.ExpiresAt = now.Add(time.Duration(ms) * time.Millisecond)
	}
	return e, true, nil
}
