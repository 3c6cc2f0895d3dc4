package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

// TestCopyInterruptedResumes interrupts a copy: it exits 130 saying that
// running it again finishes the job, and the rerun copies only what the
// first did not (the old copy exited 1 with "context canceled", and a
// rerun copied everything again).
func TestCopyInterruptedResumes(t *testing.T) {
	const n = 30000
	dir := t.TempDir()
	from := "sqlite://" + filepath.Join(dir, "from.db")
	to := "sqlite://" + filepath.Join(dir, "to.db")
	fillResponses(t, from, n)

	cmd := exec.Command(binary, "copy", "--from", from, "--to", to, "--batch", "1")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	progressed := false
	for !progressed && lines.Scan() {
		progressed = strings.HasPrefix(lines.Text(), "copied ")
	}
	if !progressed {
		cmd.Wait()
		t.Skipf("the copy ended before it could be interrupted: %q", stdout.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.HasSuffix(string(rest), "; run the same command again to finish (what was copied is skipped)\n") {
		t.Fatalf("interrupted copy: exit %d, stderr %q", code, rest)
	}
	first := number(t, `interrupted after (\d+) entr`, string(rest))

	out, errOut, code := kvcache(t, "copy", "--from", from, "--to", to)
	if code != 0 {
		t.Fatalf("rerun: exit %d, %q", code, errOut)
	}
	copied, present := number(t, `^copied (\d+) entr`, out), number(t, `\((\d+) already there\)`, out)
	if present < first || copied+present != n || copied == n {
		t.Fatalf("rerun %q after %d copied: want the %d already there skipped and %d in all", out, first, first, n)
	}
}

func number(t *testing.T, re, s string) int {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q does not match %s", s, re)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// fillResponses stores n responses in the library's stored form under
// rawURL.
func fillResponses(t *testing.T, rawURL string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := stores.Open(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries := make([]kv.Entry[string, []byte], n)
	for i := range entries {
		u := fmt.Sprintf("http://example.com/%d", i)
		b, err := responseCodec.Encode(&httpcache.Response{Version: httpcache.FormatVersion, Method: "GET", URL: u, StatusCode: 200, Body: []byte(u)})
		if err != nil {
			t.Fatal(err)
		}
		entries[i] = kv.Entry[string, []byte]{Key: u, Value: b}
	}
	if err := kv.SetMany(ctx, s, entries); err != nil {
		t.Fatal(err)
	}
}
