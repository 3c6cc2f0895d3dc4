package httpcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kvkit/kv"
)

// errSkipped is what a guarded call returns without calling the store:
// its breaker is open, or the request has spent its store budget. It is
// never reported.
var errSkipped = errors.New("httpcache: store skipped")

// budget is what one request (or one background revalidation, or one
// maintenance call) may still spend waiting on stores. A request starts
// with one store timeout for all its store calls together, so that
// whatever the stores do, it waits for them at most that long before it
// goes on to the origin. A budget is used by one goroutine at a time.
type budget struct {
	left      time.Duration // what is left to wait, when bounded
	unbounded bool          // WithStoreTimeout(d <= 0): only the context bounds the wait
	// direct marks a maintenance call (DeleteURL): the breaker is not
	// consulted and errors are returned, not reported.
	direct bool
}

// untimedBudget is the budget of every request of a Transport whose store
// calls are never timed. It is never written: only bounded budgets are
// charged.
var untimedBudget = budget{unbounded: true}

// newBudget returns the store budget of one request.
func (t *Transport) newBudget() *budget {
	if t.untimed {
		return &untimedBudget
	}
	return &budget{left: t.o.storeTimeout, unbounded: t.o.storeTimeout <= 0}
}

// spent reports a budget with nothing left.
func (b *budget) spent() bool { return !b.unbounded && !b.direct && b.left <= 0 }

// reporter hands store errors to the error hook and the logger.
type reporter struct {
	hook   func(error)
	logger *slog.Logger
}

func (r *reporter) report(err error) {
	if r.hook != nil {
		r.hook(err)
	}
	if r.logger != nil {
		r.logger.Warn("httpcache: store error; using the origin", "err", err)
	}
}

// guarded is a store with its guard: every call the Transport makes to a
// store goes through one, which owns the call's timeout, the store's
// breaker and the reporting of what went wrong.
//
// A call waits for the store at most the store timeout, and at most what
// is left of the request's budget. When that time is up the call is
// abandoned: the request goes on without it, while the store call goes on
// in its goroutine (with its context ended, so a store that honours it
// returns at once); its late result is dropped. So a store that ignores
// its context, or hangs, costs a request one store timeout at most. An
// abandoned call is a failure of the store: it opens the breaker, so the
// requests that follow skip the store instead of each waiting for it.
type guarded[V any] struct {
	store    kv.Store[string, V]
	name     string // "responses" or "redirects", for reports
	suffix   string // appended to the operation's name in reports
	br       *breaker
	timeout  time.Duration
	inMemory bool // the store never blocks: called directly, untimed
	readOnly bool // WithReadOnly: requests never write (direct calls still do)
	rep      *reporter
	m        *storeMetrics
}

// result is what a store call gave.
type result[V any] struct {
	v   V
	err error
}

// begin lets a call through to the store, or returns errSkipped: the
// budget is spent, or the breaker is open.
func (g *guarded[V]) begin(b *budget) (ticket, error) {
	if b.spent() {
		return ticket{}, errSkipped
	}
	if b.direct {
		return ticket{}, nil
	}
	if tk, ok := g.br.allow(); ok {
		return tk, nil
	}
	return ticket{}, errSkipped
}

// end settles a call begin let through, and returns its error (named
// after the operation for a maintenance call). ctx is the caller's: when
// it ended first, the call says nothing about the store.
func (g *guarded[V]) end(ctx context.Context, b *budget, tk ticket, err error, op, key string) error {
	if b.direct {
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			err = fmt.Errorf("httpcache: %s%s %s: %w", op, g.suffix, key, err)
		}
		return err
	}
	g.settle(ctx, tk, err, op, key)
	return err
}

// wait runs fn in a goroutine and waits for it as long as the budget and
// the timeout allow, charging the budget with the time waited.
func (g *guarded[V]) wait(ctx context.Context, b *budget, fn func(context.Context) (V, error)) (V, error) {
	return guardedWait(g, ctx, b, fn)
}

// guardedWait is g.wait for a call whose result is of any type R (the
// conditional writes of the lease store report a bool).
func guardedWait[V, R any](g *guarded[V], ctx context.Context, b *budget, fn func(context.Context) (R, error)) (R, error) {
	limit := g.timeout
	if !b.unbounded && (limit <= 0 || b.left < limit) && !b.direct {
		limit = b.left
	}
	sctx, cancel := ctx, context.CancelFunc(func() {})
	if limit > 0 {
		sctx, cancel = context.WithTimeout(ctx, limit)
	}
	defer cancel()
	start := time.Now()
	done := make(chan result[R], 1) // the goroutine never blocks on a late send
	var gaveUp atomic.Bool
	go func() {
		v, err := fn(sctx)
		done <- result[R]{v, err}
		if gaveUp.Load() && g.rep.logger != nil {
			// The abandonment was reported; the late answer is only logged.
			g.rep.logger.Debug("httpcache: late store answer dropped", "store", g.name, "took", time.Since(start).Round(time.Millisecond), "err", err)
		}
	}()
	var r result[R]
	select {
	case r = <-done:
	case <-sctx.Done():
		gaveUp.Store(true)
		r.err = abandonedError(ctx, limit)
	}
	if !b.unbounded && !b.direct {
		b.left -= time.Since(start)
		if errors.Is(r.err, errAbandoned) {
			b.left = 0
		}
	}
	return r.v, r.err
}

// errAbandoned marks a call that was given up at its deadline.
var errAbandoned = errors.New("store did not answer in time; call abandoned")

// abandonedError is the error of a call given up when its context ended:
// the caller's own error when the caller's context ended, else a timeout
// that wraps context.DeadlineExceeded.
func abandonedError(ctx context.Context, limit time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w after %v: %w", errAbandoned, limit, context.DeadlineExceeded)
}

// get reads key. (Each operation calls the memory store directly, so
// that the hit path makes no closure.)
func (g *guarded[V]) get(ctx context.Context, b *budget, key string) (V, error) {
	tk, err := g.begin(b)
	if err != nil {
		var zero V
		return zero, err
	}
	var v V
	if g.inMemory {
		v, err = g.store.Get(ctx, key)
	} else {
		v, err = g.wait(ctx, b, func(ctx context.Context) (V, error) { return g.store.Get(ctx, key) })
	}
	return v, g.end(ctx, b, tk, err, "get", key)
}

// set writes v under key with a store TTL until until (none when zero).
// The write outlives the caller's context. It returns errSkipped, without
// writing, when until has passed.
func (g *guarded[V]) set(ctx context.Context, b *budget, key string, v V, until, now time.Time) error {
	var opts []kv.SetOption
	if !until.IsZero() {
		ttl := until.Sub(now)
		if ttl <= 0 {
			return errSkipped
		}
		opts = append(opts, kv.WithTTL(ttl))
	}
	if g.readOnly && !b.direct {
		return errSkipped
	}
	tk, err := g.begin(b)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if g.inMemory {
		err = g.store.Set(ctx, key, v, opts...)
	} else {
		_, err = g.wait(ctx, b, func(ctx context.Context) (V, error) {
			var zero V
			return zero, g.store.Set(ctx, key, v, opts...)
		})
	}
	return g.end(ctx, b, tk, err, "set", key)
}

// del deletes key. The delete outlives the caller's context.
func (g *guarded[V]) del(ctx context.Context, b *budget, key string) error {
	if g.readOnly && !b.direct {
		return errSkipped
	}
	tk, err := g.begin(b)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if g.inMemory {
		err = g.store.Delete(ctx, key)
	} else {
		_, err = g.wait(ctx, b, func(ctx context.Context) (V, error) {
			var zero V
			return zero, g.store.Delete(ctx, key)
		})
	}
	return g.end(ctx, b, tk, err, "delete", key)
}

// settle records in the breaker how a call it let through ended, and
// reports a failure: every one when the breaker is off, else the one
// that opens it and each failed probe. ctx is the caller's: a call that
// failed because it ended is not the store's fault. A miss and a corrupt
// entry are answers (the reads report a corrupt entry themselves, with
// what they do about it); a key or value the store refuses is reported,
// but says nothing of the store either.
func (g *guarded[V]) settle(ctx context.Context, tk ticket, err error, op, key string) {
	if err == nil && !tk.probe {
		return // the hit path
	}
	switch {
	case err == nil || errors.Is(err, kv.ErrNotFound):
	case errors.Is(err, kv.ErrCorrupt):
		if op != "get" {
			g.rep.report(fmt.Errorf("httpcache: %s%s %s: %w", op, g.suffix, key, err))
		}
	case errors.Is(err, kv.ErrTooLarge) || errors.Is(err, kv.ErrInvalidTTL):
		g.m.failed(ctx, op)
		g.rep.report(fmt.Errorf("httpcache: %s%s %s: %w", op, g.suffix, key, err))
	case ctx.Err() != nil:
		g.br.abandoned(tk)
		return
	default:
		g.m.failed(ctx, op)
		g.failed(tk, err, op, key)
		return
	}
	if g.br != nil {
		if down := g.br.answered(tk); down > 0 && g.rep.logger != nil {
			g.rep.logger.Info("httpcache: store answers again", "store", g.name, "skipped_for", down.Round(time.Millisecond))
		}
	}
}

// failed records a failure of the store and reports it when the breaker
// says to.
func (g *guarded[V]) failed(tk ticket, err error, op, key string) {
	period, report := g.br.failed(tk)
	switch {
	case !report:
	case period > 0:
		g.rep.report(fmt.Errorf("httpcache: %s%s %s: %w (skipping the %s store for %v)", op, g.suffix, key, err, g.name, period.Round(time.Millisecond)))
	default:
		g.rep.report(fmt.Errorf("httpcache: %s%s %s: %w", op, g.suffix, key, err))
	}
}
