package kv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// updateAttempts bounds the read-modify-write attempts of Update: past
// it, the key is so contended that the caller should hear about it.
const updateAttempts = 100

// ErrConflict is returned, wrapped, by Update when every attempt lost the
// race to another writer.
var ErrConflict = errors.New("kv: too many concurrent writers, update not applied")

// needConditional returns the store's ConditionalWriter, or an error
// wrapping ErrUnsupported.
func needConditional[K comparable, V any](s Store[K, V], op string) (ConditionalWriter[K, V], error) {
	c, ok := s.(ConditionalWriter[K, V])
	if !ok {
		return nil, fmt.Errorf("kv: %s: %T has no conditional writes: %w", op, s, ErrUnsupported)
	}
	return c, nil
}

// Update applies fn to the value under key atomically: it reads the value
// (found reports whether the key is present), computes the new one with fn
// and writes it only if nobody wrote the key in between (SetIfAbsent when
// it was absent, CompareAndSwap otherwise), retrying from the read when
// somebody did. fn may run several times and must have no other effect,
// and must not modify old: the swap compares old with what the store
// holds, so a map or slice of old changed in place makes it fail every
// time (through Typed, old is encoded again for the comparison). It
// returns the value written. opts apply to the written value.
//
// An error from fn stops Update and is returned as is. Update gives up with
// an error wrapping ErrConflict after 100 lost races (backing off between
// them, up to a few milliseconds), and stops when ctx ends. A store
// without ConditionalWriter fails with an error wrapping ErrUnsupported:
// Update never falls back to a Get followed by a Set, which would lose
// updates.
func Update[K comparable, V any](ctx context.Context, s Store[K, V], key K, fn func(old V, found bool) (V, error), opts ...SetOption) (V, error) {
	var zero V
	c, err := needConditional(s, "update")
	if err != nil {
		return zero, err
	}
	var b backoff
	for range updateAttempts {
		old, err := s.Get(ctx, key)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return zero, err
		}
		next, err := fn(old, found)
		if err != nil {
			return zero, err
		}
		var ok bool
		if found {
			ok, err = c.CompareAndSwap(ctx, key, old, next, opts...)
		} else {
			ok, err = c.SetIfAbsent(ctx, key, next, opts...)
		}
		if err != nil {
			return zero, err
		}
		if ok {
			return next, nil
		}
		if err := b.wait(ctx); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("kv: update: %d attempts: %w", updateAttempts, ErrConflict)
}

// backoff is a growing pause between attempts, capped, and cut short when
// the context ends.
type backoff struct{ d time.Duration }

const (
	backoffMin = 50 * time.Microsecond
	backoffMax = 5 * time.Millisecond
)

// next returns the pause after d: doubled, between backoffMin and
// backoffMax.
func (b backoff) next() time.Duration {
	return min(max(2*b.d, backoffMin), backoffMax)
}

func (b *backoff) wait(ctx context.Context) error {
	b.d = b.next()
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lock takes a lease on key for ttl: it stores a random token under key
// with SetIfAbsent, waiting and retrying while another holder has it,
// until ctx ends. The returned unlock deletes the lease only if it still
// holds the token (CompareAndDelete), so a holder whose lease expired and
// was taken by another never removes the other's; unlock reports whether
// it released a lease it still held with a nil error, and ErrNotFound,
// wrapped, when the lease had already expired or been taken.
//
// It is a lease, not a fencing lock: when the holder pauses longer than ttl
// (a GC pause, a lost network) the lease expires and another process may
// take it while the first still believes it holds it. Use it to avoid
// duplicate work, not where two holders at once would corrupt data. ttl
// must be positive. A store without ConditionalWriter fails with an error
// wrapping ErrUnsupported.
func Lock(ctx context.Context, s Store[string, []byte], key string, ttl time.Duration) (unlock func(context.Context) error, err error) {
	c, err := needConditional(s, "lock")
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("kv: lock %q: ttl %v: %w", key, ttl, ErrInvalidTTL)
	}
	token := make([]byte, 16)
	rand.Read(token)
	token = []byte(hex.EncodeToString(token))
	var b backoff
	for {
		ok, err := c.SetIfAbsent(ctx, key, token, WithTTL(ttl))
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		b.d = min(b.d, ttl/4)
		if err := b.wait(ctx); err != nil {
			return nil, fmt.Errorf("kv: lock %q: %w", key, err)
		}
	}
	return func(ctx context.Context) error {
		ok, err := c.CompareAndDelete(ctx, key, token)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("kv: unlock %q: the lease expired or was taken: %w", key, ErrNotFound)
		}
		return nil
	}, nil
}
