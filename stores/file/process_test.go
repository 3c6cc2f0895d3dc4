package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores/file"
)

// Environment of the helper processes of TestMultiProcess.
const (
	helperDirEnv = "KV_FILE_TEST_HELPER_DIR"
	helperIDEnv  = "KV_FILE_TEST_HELPER_ID"
)

const (
	perProcess = 500 // keys each process writes
	shared     = 100 // of which the last ones are written by both
)

// processKey returns the i-th key process id writes.
func processKey(id, i int) string {
	if i >= perProcess-shared {
		return fmt.Sprintf("shared/%d", i)
	}
	return fmt.Sprintf("p%d/%d", id, i)
}

func processValue(id int, key string) string {
	return fmt.Sprintf("written by %d under %s; %s", id, key, strings.Repeat("x", 200+len(key)))
}

// validValue reports whether v is a value some process wrote under key.
func validValue(key, v string) bool {
	return v == processValue(0, key) || v == processValue(1, key)
}

// TestMultiProcess runs two OS processes that write and read the same
// directory at once: every key ends with one of the values written,
// neither process sees an error or a torn value, and nothing is lost.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "store")
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for id := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperIDEnv+"="+strconv.Itoa(id))
		wg.Go(func() { outs[id], errs[id] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for id := range 2 {
		if errs[id] != nil || !strings.Contains(string(outs[id]), "helper done") {
			t.Errorf("process %d: %v\n%s", id, errs[id], outs[id])
		}
	}
	if t.Failed() {
		return
	}

	ctx := context.Background()
	s := open(t, dir)
	want := map[string]bool{}
	for id := range 2 {
		for i := range perProcess {
			want[processKey(id, i)] = true
		}
	}
	for k := range want {
		v, err := s.Get(ctx, k)
		if err != nil {
			t.Errorf("Get(%q): %v", k, err)
			continue
		}
		if !validValue(k, string(v)) {
			t.Errorf("Get(%q) = %.40q, not a value any process wrote", k, v)
		}
	}
	if n, err := s.Len(ctx); n != len(want) || err != nil {
		t.Errorf("Len = %d, %v; want %d", n, err, len(want))
	}
	for _, name := range dirNames(t, dir) {
		if strings.HasPrefix(name, ".tmp-") {
			t.Errorf("temp file %s left behind", name)
		}
	}
}

// TestHelperProcess is one of the processes of TestMultiProcess; run on
// its own it does nothing.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process of TestMultiProcess")
	}
	id, err := strconv.Atoi(os.Getenv(helperIDEnv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := file.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Start together: each marks itself ready and waits for the other.
	ready := func(id int) string { return filepath.Join(filepath.Dir(dir), fmt.Sprintf("ready-%d", id)) }
	if err := os.WriteFile(ready(id), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready(1 - id)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process never started")
		}
		time.Sleep(time.Millisecond)
	}

	other := 1 - id
	for i := range perProcess {
		key := processKey(id, i)
		if err := s.Set(ctx, key, []byte(processValue(id, key))); err != nil {
			t.Fatalf("Set(%q): %v", key, err)
		}
		// Read what the other process writes about now, and a shared key.
		for _, k := range []string{processKey(other, i), processKey(other, perProcess-1-i%shared)} {
			v, err := s.Get(ctx, k)
			if errors.Is(err, kv.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("Get(%q): %v", k, err)
			}
			if !validValue(k, string(v)) {
				t.Fatalf("Get(%q) = %.40q, not a value any process wrote", k, v)
			}
		}
		if i%100 == 50 {
			for k, err := range s.Keys(ctx) {
				if err != nil {
					t.Fatalf("Keys: %v", err)
				}
				if !strings.HasPrefix(k, "p") && !strings.HasPrefix(k, "shared/") {
					t.Fatalf("Keys yielded %q", k)
				}
			}
		}
	}
	fmt.Println("helper done")
}
