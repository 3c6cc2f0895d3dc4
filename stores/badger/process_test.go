package badger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv/stores/badger"
)

// Environment of the child process TestProcessHelper runs as.
const (
	envDir  = "KV_BADGER_CHILD_DIR"
	envMode = "KV_BADGER_CHILD_MODE"
)

// TestProcessHelper is not a test: it is the second process of
// TestSecondProcess, run from the same test binary. It opens the directory
// in $KV_BADGER_CHILD_DIR, read-write or read-only ($KV_BADGER_CHILD_MODE
// "rw" or "ro"), prints one line saying what happened, and exits.
func TestProcessHelper(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip("runs only as the child process of TestSecondProcess")
	}
	ctx := context.Background()
	var opts []badger.Option
	if os.Getenv(envMode) == "ro" {
		opts = append(opts, badger.WithBadgerOptions(func(o bdg.Options) bdg.Options { return o.WithReadOnly(true) }))
	}
	s, err := badger.Open(dir, opts...)
	switch {
	case errors.Is(err, badger.ErrLocked):
		fmt.Printf("RESULT locked: %v\n", err)
		os.Exit(0)
	case err != nil:
		fmt.Printf("RESULT error: %v\n", err)
		os.Exit(0)
	}
	v, err := s.Get(ctx, "parent")
	result := fmt.Sprintf("opened, parent=%q (%v)", v, err)
	if os.Getenv(envMode) == "rw" {
		result += fmt.Sprintf(", set child: %v", s.Set(ctx, "child", []byte("from the child")))
	}
	fmt.Printf("RESULT %s, close: %v\n", result, s.Close())
	os.Exit(0)
}

// child runs TestProcessHelper in a new process on dir and returns the
// line it printed.
func child(t *testing.T, dir, mode string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcessHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envMode+"="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			return strings.TrimSpace(r)
		}
	}
	t.Fatalf("child process printed no result:\n%s", out)
	return ""
}

// TestSecondProcess checks what badger allows across OS processes: while
// one process has the directory open, a second cannot open it, not even
// read-only, and gets an error wrapping ErrLocked while the first goes on
// working; once the first closes it, the second opens it and sees the
// first's data (and the first, reopening, the second's); and read-only
// opens share the directory with each other.
func TestSecondProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := badger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "parent", []byte("from the parent")); err != nil {
		t.Fatal(err)
	}

	for _, mode := range []string{"rw", "ro"} {
		got := child(t, dir, mode)
		if !strings.HasPrefix(got, "locked: kv/badger: open ") {
			t.Fatalf("second process opening %s while the first has the directory: %q, want an ErrLocked error", mode, got)
		}
		t.Logf("second process, %s: %s", mode, got)
	}
	// The first process is unharmed.
	if err := s.Set(ctx, "parent", []byte("from the parent")); err != nil {
		t.Fatalf("first process after the second's attempt: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// One after the other, the processes share the data.
	want := `opened, parent="from the parent" (<nil>), set child: <nil>, close: <nil>`
	if got := child(t, dir, "rw"); got != want {
		t.Fatalf("second process after the first closed: %q, want %q", got, want)
	}
	ro := badger.WithBadgerOptions(func(o bdg.Options) bdg.Options { return o.WithReadOnly(true) })
	s, err = badger.Open(dir, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Get(ctx, "child"); string(v) != "from the child" || err != nil {
		t.Fatalf("first process reading the second's write: %q, %v", v, err)
	}
	// Read-only opens share the directory; a writer still cannot join.
	want = `opened, parent="from the parent" (<nil>), close: <nil>`
	if got := child(t, dir, "ro"); got != want {
		t.Fatalf("read-only second process beside a read-only first: %q, want %q", got, want)
	}
	if got := child(t, dir, "rw"); !strings.HasPrefix(got, "locked: ") {
		t.Fatalf("writer beside a read-only process: %q, want locked", got)
	}
}

// TestSecondOpenInProcess: badger's lock is per open, so a second Open of
// the same directory in one process fails as well (share a DB through New
// instead).
func TestSecondOpenInProcess(t *testing.T) {
	dir := t.TempDir()
	s, err := badger.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s2, err := badger.Open(dir); !errors.Is(err, badger.ErrLocked) {
		if s2 != nil {
			_ = s2.Close()
		}
		t.Fatalf("second Open of an open directory: %v, want ErrLocked", err)
	}
	if err := s.Set(context.Background(), "k", nil); err != nil {
		t.Fatalf("first store after the failed second Open: %v", err)
	}
}
