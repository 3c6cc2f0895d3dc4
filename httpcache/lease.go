package httpcache

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/kvkit/kv"
)

// DefaultLeaseTTL is the lease TTL of WithLeases when it is given none.
const DefaultLeaseTTL = 5 * time.Second

const (
	// leasePrefix starts every lease key. Response, variant and alias
	// keys are 64 hex digits (hashKey), so no lease key is ever one of
	// them, and the listings of the store (Entries, DeleteExpired) skip
	// lease keys by this prefix.
	leasePrefix = "httpcache-lease:"
	// leasePassValue replaces the token of a lease whose fetch got an
	// answer that was not stored: requests that find it go to the origin
	// at once, as the in-process marks make them do (uncacheableFor). A
	// token is upper-case base32 (crypto/rand.Text), so it is never this.
	leasePassValue = "pass"

	leasePollMin = 5 * time.Millisecond   // first pause of a waiting request
	leasePollMax = 100 * time.Millisecond // longest pause (at most a quarter of the TTL)
)

// WithLeases makes identical misses of several processes reach the origin
// once: Transports given the same lease store take a lease on a key
// before they fetch it, and the others wait for the response to be stored
// instead of fetching it too. store must be a kv.ConditionalWriter; it
// may be the byte store the responses are kept in (the lease keys cannot
// be mistaken for responses). ttl bounds both how long a lease is held
// (so that a process that dies while fetching holds up the others that
// long at most) and how long a request waits for another's answer; it
// should exceed the origin's slowest answer, and is DefaultLeaseTTL when
// ttl <= 0. A nil store turns leases off (the default); a store without
// conditional writes too, and New reports it to the error hook and the
// logger as kv.ErrUnsupported. A read-only Transport takes no leases.
//
// A lease is not a fencing lock: when it expires before its fetch ends,
// another process may fetch too. See the package doc, "Coalescing across
// processes".
func WithLeases(store kv.Store[string, []byte], ttl time.Duration) Option {
	return func(o *options) { o.leases = leaseOptions{store: store, ttl: ttl} }
}

// leaseOptions is what WithLeases sets.
type leaseOptions struct {
	store kv.Store[string, []byte]
	ttl   time.Duration
}

// leases is the lease store behind its guard.
type leases struct {
	g   guarded[[]byte]
	cw  kv.ConditionalWriter[string, []byte]
	ttl time.Duration
}

// newLeases returns the lease store of o, or nil when there is none (or
// one that cannot take leases, which it reports).
func newLeases(o *options, rep *reporter, m *metrics) *leases {
	s := o.leases.store
	if s == nil || o.readOnly {
		return nil
	}
	cw, ok := s.(kv.ConditionalWriter[string, []byte])
	if !ok {
		rep.report(fmt.Errorf("httpcache: lease store %T has no conditional writes; misses are not coalesced across processes: %w", s, kv.ErrUnsupported))
		return nil
	}
	ttl := o.leases.ttl
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	return &leases{g: newGuarded(s, "leases", " lease", o, rep, m), cw: cw, ttl: ttl}
}

// leaseKey is the key of the lease on the entry under primary.
func leaseKey(primary string) string { return leasePrefix + primary }

// isLeaseKey reports a lease key.
func isLeaseKey(key string) bool { return strings.HasPrefix(key, leasePrefix) }

// budget returns a store budget for lease calls: one store timeout for all
// the calls of one wait, apart from the request's own budget (so that
// waiting leaves the request its time for the responses store).
func (l *leases) budget() *budget {
	if l.g.inMemory || l.g.timeout <= 0 {
		return &untimedBudget
	}
	return &budget{left: l.g.timeout}
}

// cond makes a conditional write through the guard: op names it in
// reports and metrics ("set" or "delete").
func (l *leases) cond(ctx context.Context, b *budget, op, key string, fn func(context.Context) (bool, error)) (bool, error) {
	tk, err := l.g.begin(b)
	if err != nil {
		return false, err
	}
	var ok bool
	if l.g.inMemory {
		ok, err = fn(ctx)
	} else {
		ok, err = guardedWait(&l.g, ctx, b, fn)
	}
	return ok, l.g.end(ctx, b, tk, err, op, key)
}

// leaseObs is what a step of a wait for a lease found.
type leaseObs uint8

const (
	leaseNone     leaseObs = iota // no lease known, no fresh response stored
	leaseMine                     // this request took the lease
	leaseChecked                  // it holds the lease, and no fresh response is stored
	leaseTaken                    // SetIfAbsent refused: somebody holds a lease
	leaseOthers                   // the lease read is another's
	leasePassed                   // the lease read says the last answer was not stored
	leaseGone                     // no lease read
	leaseAnswered                 // a fresh response is stored
	leaseFailed                   // the lease store failed, or was skipped
)

// leaseStep is what a wait for a lease does next.
type leaseStep uint8

const (
	stepAcquire leaseStep = iota // try to take the lease
	stepFetch                    // fetch from the origin, holding the lease
	stepRead                     // read the lease
	stepPoll                     // pause, then read the lease
	stepLook                     // look for a fresh stored response
	stepServe                    // serve the stored response
	stepAlone                    // fetch from the origin without a lease
)

// decideLease chooses the next step of a wait from what the last step
// found, and over, whether the wait is over (the lease TTL has passed
// since it began, or the request's context ended). A wait that is over
// fetches alone rather than wait again: it never hangs. A holder stores
// its response before it lets the lease go, so a response is looked for
// once the lease is gone, and once it is taken: a request that takes the
// lease just after another let it go finds that one's response, rather
// than fetch again.
func decideLease(o leaseObs, over bool) leaseStep {
	switch o {
	case leaseNone:
		if over {
			return stepAlone
		}
		return stepAcquire
	case leaseMine:
		return stepLook
	case leaseChecked:
		return stepFetch
	case leaseTaken:
		return stepRead
	case leaseOthers:
		if over {
			return stepAlone
		}
		return stepPoll
	case leaseGone:
		return stepLook
	case leaseAnswered:
		return stepServe
	}
	return stepAlone // passed, failed
}

// passOn reports whether a fetch that ended with res and err leaves the
// pass value in its lease rather than deleting it: its answer was not
// stored (nor the stale entry refreshed), so that waiting for the next
// fetch would gain nothing. After an origin error or a stale response
// served, the lease goes, and one of the waiting requests fetches anew.
func passOn(res flightResult, err error) bool {
	return err == nil && (res.entry == nil || res.transient)
}

// lookedFor is what a look for a stored response found: one, or none,
// with the lease held or not.
func lookedFor(found, held bool) leaseObs {
	switch {
	case found:
		return leaseAnswered
	case held:
		return leaseChecked
	}
	return leaseNone
}

// leaseWait is one request's wait for the lease on one key.
type leaseWait struct {
	l     *leases
	key   string
	token []byte // of the lease this request took
	held  bool   // it holds that lease
	b     *budget
	pause time.Duration
}

// acquire tries to take the lease.
func (w *leaseWait) acquire(ctx context.Context) leaseObs {
	w.token = []byte(crand.Text())
	ok, err := w.l.cond(ctx, w.b, "set", w.key, func(ctx context.Context) (bool, error) {
		return w.l.cw.SetIfAbsent(ctx, w.key, w.token, kv.WithTTL(w.l.ttl))
	})
	switch {
	case err != nil:
		return leaseFailed
	case ok:
		w.held = true
		return leaseMine
	}
	return leaseTaken
}

// read reads the lease.
func (w *leaseWait) read(ctx context.Context) leaseObs {
	v, err := w.l.g.get(ctx, w.b, w.key)
	switch {
	case errors.Is(err, kv.ErrNotFound):
		return leaseGone
	case err != nil:
		return leaseFailed
	case string(v) == leasePassValue:
		return leasePassed
	}
	return leaseOthers
}

// poll pauses (a growing, jittered pause, bounded by leasePollMax and a
// quarter of the TTL, and by ctx), then reads the lease.
func (w *leaseWait) poll(ctx context.Context) leaseObs {
	w.pause = min(max(2*w.pause, leasePollMin), leasePollMax, max(w.l.ttl/4, time.Millisecond))
	d := w.pause/2 + rand.N(w.pause/2+1)
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
		return leaseOthers // the wait is over: decideLease says alone
	}
	return w.read(ctx)
}

// release lets the lease go after its fetch: deletes it, or leaves the
// pass value in it (passOn) for uncacheableFor. Only this request's
// lease is touched (a lease that expired and was taken by another is
// left alone). It outlives ctx, with a store budget of its own.
func (w *leaseWait) release(ctx context.Context, pass bool) {
	ctx = context.WithoutCancel(ctx)
	b := w.l.budget()
	_, _ = w.l.cond(ctx, b, releaseOp(pass), w.key, func(ctx context.Context) (bool, error) {
		if pass {
			return w.l.cw.CompareAndSwap(ctx, w.key, w.token, []byte(leasePassValue), kv.WithTTL(uncacheableFor))
		}
		return w.l.cw.CompareAndDelete(ctx, w.key, w.token)
	})
}

// releaseOp names the release's store operation in reports and metrics.
func releaseOp(pass bool) string {
	if pass {
		return "set"
	}
	return "delete"
}

// leadAcross fetches for lk as the leader of c in this process, with the
// other processes sharing the lease store: it takes the lease and
// fetches, or waits for the holder's response and serves it, or, when
// the wait gains nothing or is over, fetches alone. Every store call of
// the wait is guarded, and the wait lasts the lease TTL at most.
func (t *Transport) leadAcross(lk *lookup, stale *Response, c *call) (*http.Response, flightResult, error) {
	ctx, cancel := context.WithTimeout(lk.req.Context(), t.leases.ttl)
	defer cancel()
	w := &leaseWait{l: t.leases, key: leaseKey(lk.primary), b: t.leases.budget()}
	obs := leaseNone
	var e *Response
	var now time.Time
	for {
		switch decideLease(obs, ctx.Err() != nil) {
		case stepAcquire:
			obs = w.acquire(ctx)
		case stepRead:
			obs = w.read(ctx)
		case stepPoll:
			obs = w.poll(ctx)
		case stepLook:
			e, now = t.storedFresh(lk, stale)
			obs = lookedFor(e != nil, w.held)
		case stepServe:
			if w.held {
				w.release(lk.req.Context(), false)
			}
			return t.serve(lk, e, Hit, now), flightResult{entry: e, status: Hit}, nil
		case stepFetch:
			resp, res, err := t.fetchOrigin(lk, stale, c)
			w.release(lk.req.Context(), passOn(res, err))
			return resp, res, err
		default:
			if obs == leasePassed {
				t.uncacheable.mark(lk.flightKey())
			}
			return t.fetchOrigin(lk, stale, c)
		}
	}
}
