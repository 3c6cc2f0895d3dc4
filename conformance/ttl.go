package conformance

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kvkit/kv"
)

// The TTL subtests run in parallel with each other (up to -test.parallel
// at once), each on its own location: most of their time is spent
// sleeping until entries expire.
func (s *suite) ttl(t *testing.T) {
	t.Run("Expiry", s.parallel(testExpiry))
	t.Run("Zero", s.parallel(testZeroTTL))
	t.Run("Negative", s.parallel(testNegativeTTL))
	t.Run("OverwriteClears", s.parallel(testOverwriteClearsTTL))
	t.Run("ExpiresAtPast", s.parallel(testExpiresAtPast))
	t.Run("Reported", s.parallel(testExpiresAtReported))
	t.Run("Aging", s.parallel(testAging))
}

// testExpiry checks that an entry with a short TTL (and one with a near
// WithExpiresAt) is visible at first and gone afterwards from Get, Has,
// Keys, All and Len, while entries with a long TTL or none stay.
func testExpiry(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	ttl := h.ttl()
	long := map[string][]byte{
		"long":  []byte("expires in an hour"),
		"never": []byte("never expires"),
	}
	mustSet(t, h.ctx, s, "long", long["long"], kv.WithTTL(time.Hour))
	mustSet(t, h.ctx, s, "never", long["never"])

	start := time.Now()
	mustSet(t, h.ctx, s, "short", []byte("expires soon"), kv.WithTTL(ttl))
	mustSet(t, h.ctx, s, "short-at", []byte("expires soon too"), kv.WithExpiresAt(start.Add(ttl)))
	// Visible before: checked only while the store's own resolution keeps
	// the entries clear of their expiry, so a slow store is not blamed.
	var early []string
	for _, k := range []string{"short", "short-at"} {
		if _, err := s.Get(h.ctx, k); err != nil {
			early = append(early, "Get("+k+"): "+err.Error())
		}
		if ok, err := s.Has(h.ctx, k); err != nil || !ok {
			early = append(early, "Has("+k+") is false")
		}
	}
	if n, err := s.Len(h.ctx); err != nil || n != 4 {
		early = append(early, "Len is not 4")
	}
	if time.Since(start) < ttl-h.caps.TTLResolution {
		for _, e := range early {
			t.Errorf("entry with a TTL of %v gone before it expired: %s", ttl, e)
		}
	} else {
		t.Logf("checking visibility took longer than the TTL of %v; only expiry is checked", ttl)
	}

	h.sleepPastExpiry(start, ttl)
	wantMissing(t, h.ctx, s, "short")
	wantMissing(t, h.ctx, s, "short-at")
	wantContents(t, h.ctx, s, long)
	wantBatchView(t, h, s, []string{"short", "short-at", "long", "never"}, long)
}

// wantBatchView checks that kv.GetMany of keys and kv.Scan see exactly
// want: expired entries are as invisible to them as to Get.
func wantBatchView(t *testing.T, h *harness, s store, keys []string, want map[string][]byte) {
	t.Helper()
	got, err := kv.GetMany(h.ctx, s, keys)
	if err != nil {
		t.Errorf("GetMany(%q): %v", keys, err)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("GetMany(%q) returned %q, which is expired", keys, k)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("GetMany(%q) did not return %q", keys, k)
		}
	}
	entries, err, problem := drain(kv.Scan(h.ctx, s, ""))
	if err != nil || problem != nil {
		t.Errorf("Scan(\"\"): %v (%v)", err, problem)
	}
	checkEntries(t, `Scan("")`, entries, want)
}

// testZeroTTL checks that WithTTL(0) and WithExpiresAt(time.Time{}) mean no
// expiry.
func testZeroTTL(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	start := time.Now()
	mustSet(t, h.ctx, s, "zero-ttl", []byte("v"), kv.WithTTL(0))
	mustSet(t, h.ctx, s, "zero-time", []byte("v"), kv.WithExpiresAt(time.Time{}))
	want := map[string][]byte{"zero-ttl": []byte("v"), "zero-time": []byte("v")}
	wantContents(t, h.ctx, s, want)
	entries := allEntries(t, h.ctx, s)
	for k := range entries {
		wantExpiresAt(t, entries, k, time.Time{}, 0)
	}
	h.sleepPastExpiry(start, h.ttl())
	wantContents(t, h.ctx, s, want)
}

// testNegativeTTL checks that a negative TTL is kv.ErrInvalidTTL and writes
// nothing, neither a new key nor over an existing one.
func testNegativeTTL(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	mustSet(t, h.ctx, s, "existing", []byte("old"))
	for _, k := range []string{"new", "existing"} {
		err := s.Set(h.ctx, k, []byte("negative"), kv.WithTTL(-time.Second))
		if !errors.Is(err, kv.ErrInvalidTTL) {
			t.Errorf("Set(%q) with WithTTL(-1s): %v, want an error wrapping kv.ErrInvalidTTL", k, err)
		}
	}
	wantContents(t, h.ctx, s, map[string][]byte{"existing": []byte("old")})
	entries := allEntries(t, h.ctx, s)
	for k := range entries {
		wantExpiresAt(t, entries, k, time.Time{}, 0)
	}
}

// testOverwriteClearsTTL checks that Set without a TTL replaces the expiry
// of the entry it overwrites, and that Set with one adds an expiry.
func testOverwriteClearsTTL(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	ttl := h.ttl()
	mustSet(t, h.ctx, s, "cleared", []byte("first"), kv.WithTTL(ttl))
	mustSet(t, h.ctx, s, "cleared", []byte("second"))
	mustSet(t, h.ctx, s, "added", []byte("first"))
	mustSet(t, h.ctx, s, "added", []byte("second"), kv.WithTTL(ttl))
	// The clock starts once the last TTL is written: on a slow store the
	// writes before it must not eat into the wait.
	h.sleepPastExpiry(time.Now(), ttl)
	wantMissing(t, h.ctx, s, "added")
	wantContents(t, h.ctx, s, map[string][]byte{"cleared": []byte("second")})
}

// testExpiresAtPast checks that an entry set to expire in the past is never
// seen, and that setting one over an existing key hides the old value too.
func testExpiresAtPast(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	past := time.Now().Add(-time.Hour)
	mustSet(t, h.ctx, s, "kept", []byte("v"))
	mustSet(t, h.ctx, s, "overwritten", []byte("visible"))
	for _, k := range []string{"new", "overwritten"} {
		if err := s.Set(h.ctx, k, []byte("expired"), kv.WithExpiresAt(past)); err != nil {
			t.Errorf("Set(%q) with WithExpiresAt an hour ago: %v, want nil (an expired entry is stored and never returned)", k, err)
		}
	}
	wantMissing(t, h.ctx, s, "new")
	wantMissing(t, h.ctx, s, "overwritten")
	want := map[string][]byte{"kept": []byte("v")}
	wantContents(t, h.ctx, s, want)
	wantBatchView(t, h, s, []string{"new", "overwritten", "kept"}, want)
}

// testExpiresAtReported checks that All reports when entries expire,
// within the store's resolution, and the zero time for entries that do
// not. (The resolution is the whole slack: a store that keeps expiry times
// in whole seconds declares a TTLResolution of a second.)
func testExpiresAtReported(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	slack := h.caps.TTLResolution
	at := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	before := time.Now()
	mustSet(t, h.ctx, s, "ttl", []byte("v"), kv.WithTTL(time.Hour))
	after := time.Now()
	mustSet(t, h.ctx, s, "at", []byte("v"), kv.WithExpiresAt(at))
	mustSet(t, h.ctx, s, "never", []byte("v"))

	entries := allEntries(t, h.ctx, s)
	if len(entries) != 3 {
		t.Fatalf("All yielded %d entries, want 3", len(entries))
	}
	// The TTL started some time between before and after.
	mid := before.Add(after.Sub(before) / 2).Add(time.Hour)
	wantExpiresAt(t, entries, "ttl", mid, slack+after.Sub(before))
	wantExpiresAt(t, entries, "at", at, slack)
	wantExpiresAt(t, entries, "never", time.Time{}, 0)
}

// testAging follows two entries through their life: read again and again
// until shortly before their deadline, they must still be there, neither
// gone early nor kept alive by the reads (a TTL that slides forward on
// every Get fails the expiry check at the end), and near the deadline All
// must still report the expiry set at first, not one derived afresh from
// the original TTL ("now + TTL") at the time of the call.
func testAging(t *testing.T, h *harness) {
	h.needs("TTL", h.caps.TTL)
	s := h.store()
	res := h.caps.TTLResolution
	ttl := 6 * res
	before := time.Now()
	mustSet(t, h.ctx, s, "ttl", []byte("v"), kv.WithTTL(ttl))
	after := time.Now()
	deadline := before.Add(ttl)
	mustSet(t, h.ctx, s, "at", []byte("v"), kv.WithExpiresAt(deadline))
	keys := []string{"ttl", "at"}

	// A check is fair while it ends a resolution clear of the deadline.
	fair := func() bool { return time.Until(deadline) > res }
	var early []string
	for time.Until(deadline) > 2*res {
		problems := presence(h, s, keys)
		if fair() {
			early = append(early, problems...)
		}
		select {
		case <-time.After(res / 4):
		case <-h.ctx.Done():
			return
		}
	}
	entries := allEntries(t, h.ctx, s)
	if fair() {
		early = append(early, presence(h, s, keys)...)
		for _, e := range early {
			t.Errorf("entry with a TTL of %v gone before it expired, after repeated reads: %s", ttl, e)
		}
		// The TTL started some time between before and after.
		mid := before.Add(after.Sub(before) / 2).Add(ttl)
		wantExpiresAt(t, entries, "ttl", mid, res+after.Sub(before))
		wantExpiresAt(t, entries, "at", deadline, res)
	} else {
		t.Logf("reading the entries took them too close to their deadline; only expiry is checked")
	}

	h.sleepPastExpiry(after, ttl)
	for _, k := range keys {
		wantMissing(t, h.ctx, s, k)
	}
	wantContents(t, h.ctx, s, map[string][]byte{})
}

// presence describes how keys are not all there: seen by Get, Has, Len
// and Keys.
func presence(h *harness, s store, keys []string) []string {
	var problems []string
	for _, k := range keys {
		if _, err := s.Get(h.ctx, k); err != nil {
			problems = append(problems, fmt.Sprintf("Get(%q): %v", k, err))
		}
		if ok, err := s.Has(h.ctx, k); err != nil || !ok {
			problems = append(problems, fmt.Sprintf("Has(%q) = %v, %v", k, ok, err))
		}
	}
	if n, err := s.Len(h.ctx); err != nil || n != len(keys) {
		problems = append(problems, fmt.Sprintf("Len = %d, %v; want %d", n, err, len(keys)))
	}
	got, err, _ := drain(s.Keys(h.ctx))
	if err != nil || len(got) != len(keys) {
		problems = append(problems, fmt.Sprintf("Keys yielded %q, %v; want %q", got, err, keys))
	}
	return problems
}
