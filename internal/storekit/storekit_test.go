package storekit_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 63) + "é" + "tail" // é straddles byte 64
	cases := []struct{ key, want string }{
		{"k", `"k"`},
		{"", `""`},
		{"line\nbreak", `"line\nbreak"`},
		{strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{strings.Repeat("x", 65), `"` + strings.Repeat("x", 64) + `"…(65 bytes)`},
		{long, `"` + strings.Repeat("a", 63) + `"…(69 bytes)`},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, storekit.Quote(c.key)); diff != "" {
			t.Errorf("Quote(%q) (-want +got):\n%s", c.key, diff)
		}
	}
}

func TestBackendErrors(t *testing.T) {
	const b storekit.Backend = "test"
	cases := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"key", b.Key("get", "k", kv.ErrNotFound), `kv/test: get "k": ` + kv.ErrNotFound.Error(), kv.ErrNotFound},
		{"op", b.Err("len", kv.ErrClosed), `kv/test: len: ` + kv.ErrClosed.Error(), kv.ErrClosed},
		{"ctx", b.Key("set", "a\tb", context.Canceled), `kv/test: set "a\tb": context canceled`, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, c.is) {
				t.Errorf("errors.Is(%v, %v) = false", c.err, c.is)
			}
			if c.name != "op" {
				if diff := cmp.Diff(c.want, c.err.Error()); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			}
		})
	}
	if err := b.Key("get", "k", nil); err != nil {
		t.Errorf("Key with a nil error = %v, want nil", err)
	}
	if err := b.Err("len", nil); err != nil {
		t.Errorf("Err with a nil error = %v, want nil", err)
	}
}

func TestLifecycle(t *testing.T) {
	var l storekit.Lifecycle
	ctx := context.Background()
	if err := l.Begin(ctx); err != nil {
		t.Fatalf("Begin on an open store = %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Begin(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin with a done ctx = %v, want context.Canceled", err)
	}
	if !l.Close() {
		t.Fatal("first Close = false")
	}
	if l.Close() {
		t.Fatal("second Close = true")
	}
	if err := l.Begin(done); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("Begin after Close = %v, want kv.ErrClosed (closed wins over ctx)", err)
	}
}

func TestGateCloseWaitsForCalls(t *testing.T) {
	var g storekit.Gate
	ctx := context.Background()
	if err := g.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	closed := make(chan bool)
	go func() { closed <- g.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a call was under way")
	case <-time.After(50 * time.Millisecond):
	}
	// No new call starts once Close is waiting.
	for !g.Closed() {
		time.Sleep(time.Millisecond)
	}
	g.End()
	if !<-closed {
		t.Fatal("first Close = false")
	}
	if err := g.Begin(ctx); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("Begin after Close = %v, want kv.ErrClosed", err)
	}
	if err := g.BeginExclusive(ctx); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("BeginExclusive after Close = %v, want kv.ErrClosed", err)
	}
	if g.Close() {
		t.Fatal("second Close = true")
	}
}

func TestGateExclusive(t *testing.T) {
	var g storekit.Gate
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.BeginExclusive(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("BeginExclusive with a done ctx = %v", err)
	}
	if err := g.Begin(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin with a done ctx = %v", err)
	}
	// Neither left the gate held: an exclusive call goes through.
	if err := g.BeginExclusive(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.EndExclusive()
}

func TestClock(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reads := 0
	c := storekit.Clock(func() time.Time { reads++; return now })
	cases := []struct {
		name      string
		expiresAt time.Time
		want      bool
		reads     int
	}{
		{"never", time.Time{}, false, 0},
		{"future", now.Add(time.Nanosecond), false, 1},
		{"at the instant", now, true, 1},
		{"past", now.Add(-time.Second), true, 1},
	}
	for _, tc := range cases {
		reads = 0
		if got := c.Expired(tc.expiresAt); got != tc.want {
			t.Errorf("%s: Expired = %v, want %v", tc.name, got, tc.want)
		}
		if reads != tc.reads {
			t.Errorf("%s: clock read %d times, want %d", tc.name, reads, tc.reads)
		}
	}
	reads = 0
	o, err := c.SetOptions(kv.WithTTL(time.Minute))
	if err != nil || !o.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Errorf("SetOptions(WithTTL(1m)) = %v, %v; want expiry %v", o.ExpiresAt, err, now.Add(time.Minute))
	}
	if _, err := c.SetOptions(kv.WithTTL(-time.Second)); !errors.Is(err, kv.ErrInvalidTTL) {
		t.Errorf("SetOptions(negative TTL) = %v, want kv.ErrInvalidTTL", err)
	}
	reads = 0
	if o, err := c.SetOptions(); err != nil || !o.ExpiresAt.IsZero() || reads != 0 {
		t.Errorf("SetOptions() = %v, %v after %d clock reads; want no expiry, no read", o, err, reads)
	}
	if storekit.Clock(nil).Now().IsZero() {
		t.Error("a nil Clock's Now is zero, want time.Now")
	}
}

func TestURLHelpers(t *testing.T) {
	u, _ := url.Parse("file:///tmp/x?max_bytes=1e3&sync=yes&pass=hunter2")
	q, err := storekit.Params(u, "max_bytes", "sync", "pass")
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := storekit.IntParam(u, q, "max_bytes"); n != 1000 || !ok || err != nil {
		t.Errorf("IntParam(max_bytes=1e3) = %d, %v, %v", n, ok, err)
	}
	_, _, err = storekit.BoolParam(u, q, "sync")
	if !errors.Is(err, storekit.ErrInvalidURL) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("BoolParam(sync=yes) = %v, want ErrInvalidURL without the secret", err)
	}
	if _, err := storekit.Params(u, "sync"); !errors.Is(err, storekit.ErrInvalidURL) {
		t.Errorf("Params with an unknown parameter = %v, want ErrInvalidURL", err)
	}
	if p, err := storekit.Path(u); p != "/tmp/x" || err != nil {
		t.Errorf("Path = %q, %v", p, err)
	}
	remote, _ := url.Parse("file://host/x")
	if _, err := storekit.Path(remote); !errors.Is(err, storekit.ErrInvalidURL) {
		t.Errorf("Path with a host = %v, want ErrInvalidURL", err)
	}
}

func TestCheckKeySize(t *testing.T) {
	if err := storekit.CheckKeySize("abc", 3); err != nil {
		t.Errorf("CheckKeySize of a key at the limit = %v, want nil", err)
	}
	err := storekit.CheckKeySize("abcd", 3)
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("CheckKeySize over the limit = %v, want kv.ErrTooLarge", err)
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"redis://u:hunter2@h:1/0", "redis://u:xxxxx@h:1/0"},
		{"mongodb://h/db?token=hunter2&w=1", "mongodb://h/db?token=xxxxx&w=1"},
		{"redis://u@h#hunter2", "redis://u@h#xxxxx"},
		{"redis:u:hunter2@h:1", "redis:xxxxx@h:1"},
		{"postgres:hunter2@h/db", "postgres:xxxxx@h/db"},
		{"sqlite:relative/db", "sqlite:relative/db"},
		// No scheme: the userinfo lands in the fragment or the query.
		{"#0000://:hunter2@", "…"},
		{"a?b://:hunter2@", "a…"},
		{"no-scheme", "no-scheme…"},
		{"redis://u:hunter2@bad host", "redis:…"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, storekit.Redact(c.in)); diff != "" {
			t.Errorf("Redact(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

// TestBeginWrite: the write guard, row by row over a store's state (open
// or closed, writable or read-only) and its context: closed wins, then
// read-only, then the context; Begin (a read) ignores read-only. A Gate
// gives the same answers and holds nothing when it refuses.
func TestBeginWrite(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name             string
		closed, readOnly bool
		ctx              context.Context
		write, read      error
	}{
		{"writable", false, false, context.Background(), nil, nil},
		{"read-only", false, true, context.Background(), kv.ErrReadOnly, nil},
		{"closed", true, false, context.Background(), kv.ErrClosed, kv.ErrClosed},
		{"closed read-only", true, true, context.Background(), kv.ErrClosed, kv.ErrClosed},
		{"read-only, context done", false, true, done, kv.ErrReadOnly, context.Canceled},
		{"writable, context done", false, false, done, context.Canceled, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var l storekit.Lifecycle
			var g storekit.Gate
			if tc.readOnly {
				l.SetReadOnly()
				g.SetReadOnly()
			}
			if l.ReadOnly() != tc.readOnly || g.ReadOnly() != tc.readOnly {
				t.Fatalf("ReadOnly = %v, %v; want %v", l.ReadOnly(), g.ReadOnly(), tc.readOnly)
			}
			if tc.closed {
				l.Close()
				g.Close()
			}
			for what, got := range map[string]error{
				"Lifecycle.BeginWrite":     l.BeginWrite(tc.ctx),
				"Lifecycle.Begin":          l.Begin(tc.ctx),
				"Gate.BeginWrite":          gateCall(&g, g.BeginWrite, g.End, tc.ctx),
				"Gate.BeginExclusiveWrite": gateCall(&g, g.BeginExclusiveWrite, g.EndExclusive, tc.ctx),
				"Gate.Begin":               gateCall(&g, g.Begin, g.End, tc.ctx),
			} {
				want := tc.write
				if strings.HasSuffix(what, ".Begin") {
					want = tc.read
				}
				if !errors.Is(got, want) || (want == nil) != (got == nil) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
		})
	}
}

// gateCall calls begin and, when it let the call through, end; then
// checks that the gate is free (BeginExclusive would block otherwise,
// so it is tried only on an open gate).
func gateCall(g *storekit.Gate, begin func(context.Context) error, end func(), ctx context.Context) error {
	err := begin(ctx)
	if err == nil {
		end()
	}
	if !g.Closed() && g.BeginExclusive(context.Background()) == nil {
		g.EndExclusive()
	}
	return err
}
