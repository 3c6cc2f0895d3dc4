package httpcache

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDecideLease: every observation, with the wait over and not.
func TestDecideLease(t *testing.T) {
	for _, c := range []struct {
		obs  leaseObs
		over bool
		want leaseStep
		why  string
	}{
		{leaseNone, false, stepAcquire, "nothing stored, nobody fetching: take the lease"},
		{leaseNone, true, stepAlone, "the wait is over: never wait again"},
		{leaseMine, false, stepLook, "taken: look first, the last holder may have just stored"},
		{leaseMine, true, stepLook, "taken as the wait ended: look all the same"},
		{leaseChecked, false, stepFetch, "held, nothing stored: fetch"},
		{leaseChecked, true, stepFetch, "held, nothing stored, the wait over: fetch, holding it"},
		{leaseTaken, false, stepRead, "refused: find out whose it is"},
		{leaseTaken, true, stepRead, "the read fails at once on an ended wait, then alone"},
		{leaseOthers, false, stepPoll, "another fetches: wait for its answer"},
		{leaseOthers, true, stepAlone, "waited the lease TTL or the request ended"},
		{leasePassed, false, stepAlone, "the last answer was not stored: waiting gains nothing"},
		{leasePassed, true, stepAlone, ""},
		{leaseGone, false, stepLook, "the holder stores before it lets go: look"},
		{leaseGone, true, stepLook, "one look costs one read and may spare the origin"},
		{leaseAnswered, false, stepServe, "a fresh response is stored: serve it"},
		{leaseAnswered, true, stepServe, ""},
		{leaseFailed, false, stepAlone, "the lease store fails: the origin, at once"},
		{leaseFailed, true, stepAlone, ""},
	} {
		if got := decideLease(c.obs, c.over); got != c.want {
			t.Errorf("decideLease(%d, over=%v) = %d, want %d (%s)", c.obs, c.over, got, c.want, c.why)
		}
	}
}

// TestLookedFor: a look finds a response, or none with the lease held
// (fetch) or not (try to take it).
func TestLookedFor(t *testing.T) {
	for _, c := range []struct {
		found, held bool
		want        leaseObs
	}{
		{true, true, leaseAnswered},
		{true, false, leaseAnswered},
		{false, true, leaseChecked},
		{false, false, leaseNone},
	} {
		if got := lookedFor(c.found, c.held); got != c.want {
			t.Errorf("lookedFor(found=%v, held=%v) = %d, want %d", c.found, c.held, got, c.want)
		}
	}
}

// TestPassOn: which ends of a fetch leave the pass value in the lease.
func TestPassOn(t *testing.T) {
	stored := &Response{}
	for _, c := range []struct {
		name string
		res  flightResult
		err  error
		want bool
	}{
		{"stored response", flightResult{entry: stored, status: Miss}, nil, false},
		{"refreshed by a 304", flightResult{entry: stored, status: Revalidated}, nil, false},
		{"stale served on an origin error", flightResult{entry: stored, status: Stale}, nil, false},
		{"uncacheable, shared in process only", flightResult{entry: stored, status: Miss, transient: true}, nil, true},
		{"uncacheable, not shared", flightResult{}, nil, true},
		{"origin error", flightResult{}, errors.New("connection refused"), false},
	} {
		if got := passOn(c.res, c.err); got != c.want {
			t.Errorf("%s: passOn = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLeaseKeys: a lease key is never a response, variant or alias key,
// and is recognised as a lease key; those are not.
func TestLeaseKeys(t *testing.T) {
	o := defaultOptions()
	primary := hashKey("GET", "https://example.com/")
	for _, k := range []string{primary, aliasKey(primary), o.normalizers().variantKey(primary, []string{"Accept"}, nil)} {
		if isLeaseKey(k) {
			t.Errorf("%q taken for a lease key", k)
		}
		if leaseKey(primary) == k {
			t.Errorf("the lease key of %s is an entry key", primary)
		}
	}
	if lk := leaseKey(primary); !isLeaseKey(lk) || !strings.HasSuffix(lk, primary) {
		t.Errorf("leaseKey(%s) = %q", primary, lk)
	}
	if len(primary) != 64 || strings.Contains(primary, ":") {
		t.Fatalf("keys are no longer 64 hex digits (%q): check that leasePrefix still sets lease keys apart", primary)
	}
}

// TestLeasePollBounded: a poll pauses at most the bound, and returns at
// once when its context ends.
func TestLeasePollBounded(t *testing.T) {
	w := &leaseWait{l: &leases{ttl: DefaultLeaseTTL}}
	for range 20 {
		w.pause = min(max(2*w.pause, leasePollMin), leasePollMax)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := w.poll(ctx); got != leaseOthers {
		t.Fatalf("poll on an ended context = %d, want leaseOthers (then decideLease says alone)", got)
	}
	if w.pause != leasePollMax {
		t.Fatalf("pause %v, want the bound %v", w.pause, leasePollMax)
	}
}
