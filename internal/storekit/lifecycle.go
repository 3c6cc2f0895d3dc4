package storekit

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/kvkit/kv"
)

// Lifecycle is the closed state of a store whose Close does not wait for
// calls under way (a network store: the client fails the calls it
// interrupts), and whether it was opened read-only. The zero Lifecycle is
// open and writable. It is safe for concurrent use.
type Lifecycle struct {
	closed   atomic.Bool
	readOnly atomic.Bool
}

// Begin returns the error a call must fail with before doing any work:
// kv.ErrClosed after Close, else ctx.Err() (nil when the call may go on).
func (l *Lifecycle) Begin(ctx context.Context) error {
	if l.closed.Load() {
		return kv.ErrClosed
	}
	return ctx.Err()
}

// BeginWrite is Begin for a call that changes the store: on a store made
// read-only (SetReadOnly) it fails with kv.ErrReadOnly, after the
// kv.ErrClosed of a closed store and before the context's error.
func (l *Lifecycle) BeginWrite(ctx context.Context) error {
	if l.closed.Load() {
		return kv.ErrClosed
	}
	if l.readOnly.Load() {
		return kv.ErrReadOnly
	}
	return ctx.Err()
}

// SetReadOnly makes every later BeginWrite fail with kv.ErrReadOnly. A
// store calls it when it is opened read-only, before it is shared.
func (l *Lifecycle) SetReadOnly() { l.readOnly.Store(true) }

// ReadOnly reports whether SetReadOnly has been called.
func (l *Lifecycle) ReadOnly() bool { return l.readOnly.Load() }

// Close marks the store closed. It reports whether this call closed it,
// so that only the first Close releases what the store owns.
func (l *Lifecycle) Close() bool { return !l.closed.Swap(true) }

// Closed reports whether Close has been called.
func (l *Lifecycle) Closed() bool { return l.closed.Load() }

// Gate is a Lifecycle whose Close waits for the calls under way, for a
// store that must not release its resources (a file, a database handle)
// under a running call. Every call that Begin lets through holds the gate
// shared until End. The zero Gate is open. It is safe for concurrent use.
type Gate struct {
	life Lifecycle
	mu   sync.RWMutex
}

// Begin is Lifecycle.Begin for a Gate: on nil the call holds the gate
// shared and must call End; on an error it holds nothing.
func (g *Gate) Begin(ctx context.Context) error {
	g.mu.RLock()
	if err := g.life.Begin(ctx); err != nil {
		g.mu.RUnlock()
		return err
	}
	return nil
}

// End ends a call that Begin let through.
func (g *Gate) End() { g.mu.RUnlock() }

// BeginWrite is Begin for a call that changes the store (see
// Lifecycle.BeginWrite): on nil the call holds the gate shared and must
// call End; on an error it holds nothing.
func (g *Gate) BeginWrite(ctx context.Context) error {
	g.mu.RLock()
	if err := g.life.BeginWrite(ctx); err != nil {
		g.mu.RUnlock()
		return err
	}
	return nil
}

// SetReadOnly is Lifecycle.SetReadOnly for a Gate.
func (g *Gate) SetReadOnly() { g.life.SetReadOnly() }

// ReadOnly reports whether SetReadOnly has been called.
func (g *Gate) ReadOnly() bool { return g.life.ReadOnly() }

// BeginExclusive is Begin for a call that must run alone (no other call
// under way); on nil the caller must call EndExclusive.
func (g *Gate) BeginExclusive(ctx context.Context) error {
	g.mu.Lock()
	if err := g.life.Begin(ctx); err != nil {
		g.mu.Unlock()
		return err
	}
	return nil
}

// BeginExclusiveWrite is BeginExclusive for a call that changes the store
// (see Lifecycle.BeginWrite).
func (g *Gate) BeginExclusiveWrite(ctx context.Context) error {
	g.mu.Lock()
	if err := g.life.BeginWrite(ctx); err != nil {
		g.mu.Unlock()
		return err
	}
	return nil
}

// EndExclusive ends a call that BeginExclusive let through.
func (g *Gate) EndExclusive() { g.mu.Unlock() }

// Close marks the store closed, so that no new call starts, and waits
// for the calls under way to End. It reports whether this call closed
// it; a later Close returns false at once.
func (g *Gate) Close() bool {
	if !g.life.Close() {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return true
}

// Closed reports whether Close has been called.
func (g *Gate) Closed() bool { return g.life.Closed() }

// Err returns what Begin would return, without taking the gate: the error
// a long call (an iteration between its steps) must stop with now.
func (g *Gate) Err(ctx context.Context) error { return g.life.Begin(ctx) }
