package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/kvkit/kv"
	"github.com/redis/rueidis"
)

var _ kv.ConditionalWriter[string, []byte] = (*Store)(nil)

// The conditional writes are one command each on one key, so they are
// atomic on the server and need no WATCH; a single key is always in one
// slot, so they work unchanged on a cluster. SetIfAbsent is SET NX; the
// compares are Lua scripts (EVALSHA, falling back to EVAL once per
// connection), since Redis has no native compare-and-set of a string
// before 8.4's IFEQ.
var (
	// compareAndSwapScript: KEYS[1] the key, ARGV[1] the old value, ARGV[2]
	// the new one, ARGV[3] the expiry in milliseconds ("0": none, "-1":
	// already expired, delete).
	compareAndSwapScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ms = tonumber(ARGV[3])
if ms < 0 then redis.call('DEL', KEYS[1])
elseif ms == 0 then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ms) end
return 1`)
	// compareAndDeleteScript: KEYS[1] the key, ARGV[1] the old value.
	compareAndDeleteScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`)
)

// expiryMillis returns the Redis expiry of a value to expire at expiresAt
// as seen at now: 0 for none, -1 when it has already passed, otherwise
// the milliseconds left, rounded up (never expire before the time asked).
func expiryMillis(expiresAt, now time.Time) int64 {
	if expiresAt.IsZero() {
		return 0
	}
	d := expiresAt.Sub(now)
	if d <= 0 {
		return -1
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// conditional checks what every conditional write checks before it
// reaches the server: the store is open, the options are valid and the
// sizes within limits. It returns the expiry in the form of expiryMillis.
func (s *Store) conditional(ctx context.Context, op, key string, value []byte, opts []kv.SetOption) (int64, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return 0, s.wrap(op, &key, err)
	}
	now := time.Now()
	o, err := kv.NewSetOptions(now, opts...)
	if err != nil {
		return 0, s.wrap(op, &key, err)
	}
	if err := s.checkSize(key, value); err != nil {
		return 0, s.wrap(op, &key, err)
	}
	return expiryMillis(o.ExpiresAt, now), nil
}

// SetIfAbsent stores value under key with SET NX (and PX for a TTL), so
// only when no live entry holds the key; Redis removes an expired key
// before the NX check, so an expired entry counts as absent. A TTL that
// has already passed writes nothing, and reports whether the key was
// absent (an entry stored and expired at once).
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	ms, err := s.conditional(ctx, "setifabsent", key, value, opts)
	if err != nil {
		return false, err
	}
	rk := s.prefix + key
	if ms < 0 {
		n, err := s.client.Do(ctx, s.client.B().Exists().Key(rk).Build()).AsInt64()
		if err != nil {
			return false, s.wrap("setifabsent", &key, err)
		}
		return n == 0, nil
	}
	cmd := s.client.B().Set().Key(rk).Value(string(value)).Nx()
	var c rueidis.Completed
	if ms > 0 {
		c = cmd.PxMilliseconds(ms).Build()
	} else {
		c = cmd.Build()
	}
	err = s.client.Do(ctx, c).Error()
	switch {
	case rueidis.IsRedisNil(err):
		return false, nil
	case err != nil:
		return false, s.wrap("setifabsent", &key, err)
	}
	return true, nil
}

// CompareAndSwap replaces the value of key with new, and its expiry with
// the one of opts, in one Lua script that compares the stored string with
// old byte for byte first. An absent or expired key is never swapped; a
// key holding another Redis type fails with kv.ErrCorrupt.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	ms, err := s.conditional(ctx, "compareandswap", key, new, opts)
	if err != nil {
		return false, err
	}
	args := []string{string(old), string(new), strconv.FormatInt(ms, 10)}
	return s.script(ctx, "compareandswap", key, compareAndSwapScript, args)
}

// CompareAndDelete removes key, in one Lua script, when its value equals
// old byte for byte.
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return false, s.wrap("compareanddelete", &key, err)
	}
	return s.script(ctx, "compareanddelete", key, compareAndDeleteScript, []string{string(old)})
}

// script runs one of the compare scripts on key and reads its 0 or 1.
func (s *Store) script(ctx context.Context, op, key string, l *rueidis.Lua, args []string) (bool, error) {
	n, err := l.Exec(ctx, s.client, []string{s.prefix + key}, args).AsInt64()
	if err != nil {
		return false, s.wrap(op, &key, err)
	}
	return n == 1, nil
}
