package kv

import (
	"fmt"
	"sync/atomic"
)

// closeFlag is the closed state of a wrapper that owns nothing it must
// release: Close sets it, and every method checks it first, so that the
// wrapper reports ErrClosed after Close whatever the store under it does.
type closeFlag struct{ closed atomic.Bool }

// Close marks the wrapper closed. It is idempotent.
func (c *closeFlag) Close() error {
	c.closed.Store(true)
	return nil
}

// check returns an error wrapping ErrClosed, naming the wrapper and the
// operation, once Close has been called.
func (c *closeFlag) check(what, op string) error {
	if c.closed.Load() {
		return fmt.Errorf("kv: %s %s: %w", what, op, ErrClosed)
	}
	return nil
}
