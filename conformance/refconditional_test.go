package conformance

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/kvkit/kv"
)

// The reference store's conditional writes, for shape full, and the faults
// the Conditional subtests must catch.
const (
	casGetThenSet          fault = "cas-get-then-set"           // CompareAndSwap is a Get, then a Set
	setIfAbsentSeesExpired fault = "set-if-absent-sees-expired" // SetIfAbsent treats an expired entry as present
	casSwapsAbsent         fault = "cas-swaps-absent"           // CompareAndSwap of an absent key with nil old creates it
	setIfAbsentHasThenSet  fault = "set-if-absent-has-then-set" // SetIfAbsent is a Has, then a Set
)

// conditionalWrite runs cond on the live entry (ok false: absent) and, when
// it holds, write, under the location's lock.
func (s *refStore) conditionalWrite(ctx context.Context, op, key string, opts []kv.SetOption, cond func(e refEntry, ok bool) bool, write func(k string, exp, now time.Time)) (bool, error) {
	if err := s.checkWrite(ctx, op, op != "compareanddelete"); err != nil {
		return false, err
	}
	now := time.Now()
	o, err := kv.NewSetOptions(now, opts...)
	if err != nil {
		return false, fmt.Errorf("kv/ref: %s %q: %w", op, key, err)
	}
	k := s.key(key)
	s.loc.mu.Lock()
	defer s.loc.mu.Unlock()
	e, ok := s.live(k, now)
	if s.faults[setIfAbsentSeesExpired] && op == "setifabsent" {
		_, ok = s.loc.entries[k]
	}
	if !cond(e, ok) {
		return false, nil
	}
	write(k, o.ExpiresAt, now)
	return true, nil
}

func (s refFull) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	if s.faults[setIfAbsentHasThenSet] {
		if ok, err := s.Has(ctx, key); err != nil || ok {
			return false, err
		}
		time.Sleep(time.Millisecond)
		return true, s.Set(ctx, key, value, opts...)
	}
	return s.conditionalWrite(ctx, "setifabsent", key, opts,
		func(_ refEntry, ok bool) bool { return !ok },
		func(k string, exp, now time.Time) {
			s.loc.entries[k] = refEntry{value: s.in(value), expiresAt: exp, setAt: now, key: key}
		})
}

func (s refFull) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	if s.faults[casGetThenSet] {
		got, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, old) {
			return false, nil
		}
		time.Sleep(time.Microsecond)
		return true, s.Set(ctx, key, new, opts...)
	}
	return s.conditionalWrite(ctx, "compareandswap", key, opts,
		func(e refEntry, ok bool) bool {
			return (ok || s.faults[casSwapsAbsent] && len(old) == 0) && bytes.Equal(e.value, old)
		},
		func(k string, exp, now time.Time) {
			s.loc.entries[k] = refEntry{value: s.in(new), expiresAt: exp, setAt: now, key: key}
		})
}

func (s refFull) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	return s.conditionalWrite(ctx, "compareanddelete", key, nil,
		func(e refEntry, ok bool) bool { return ok && bytes.Equal(e.value, old) },
		func(k string, _, _ time.Time) { delete(s.loc.entries, k) })
}
