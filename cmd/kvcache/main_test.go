package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// binary is the kvcache command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kvcache-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "kvcache")
	// The command's counters go to a store of the test run's own.
	os.Setenv("KVCACHE_STATS", "file://"+filepath.Join(dir, "stats"))
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kvcache:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kvcache runs the built command and returns its stdout, stderr and exit
// status.
func kvcache(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return kvcacheEnv(t, nil, args...)
}

// kvcacheEnv is kvcache with more environment variables.
func kvcacheEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "KVCACHE_STORE=", "KVCACHE_REDIRECTS=") // no cache from the caller's environment
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// origin is a local server that counts its requests.
func origin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=300")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "body of %s", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchMissThenHit(t *testing.T) {
	srv, hits := origin(t)
	store := "sqlite://" + filepath.Join(t.TempDir(), "cache.db")

	out, errOut, code := kvcache(t, "fetch", "--store", store, srv.URL+"/a")
	if code != 0 || out != "body of /a" || !strings.HasPrefix(errOut, "miss 200 OK ") {
		t.Fatalf("first fetch: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = kvcache(t, "fetch", "--store", store, "-i", srv.URL+"/a")
	if code != 0 || !strings.HasPrefix(errOut, "hit 200 OK ") {
		t.Fatalf("second fetch: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Cache-Control: max-age=300\r\n") || !strings.HasSuffix(out, "\r\n\r\nbody of /a") {
		t.Fatalf("fetch -i printed %q", out)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("origin saw %d requests, want 1", n)
	}

	out, _, code = kvcache(t, "ls", "--store", store)
	if code != 0 || !strings.Contains(out, srv.URL+"/a") || !strings.Contains(out, "200") {
		t.Fatalf("ls: exit %d, %q", code, out)
	}
	out, _, code = kvcache(t, "stats", "--store", store)
	if code != 0 || !strings.Contains(out, "responses   1 (1 fresh, 0 stale)") || !strings.Contains(out, "hit ratio   50.0% (1 of 2") {
		t.Fatalf("stats: exit %d,\n%s", code, out)
	}
	out, _, code = kvcache(t, "purge", "--store", store)
	if code != 0 || out != "deleted 0 expired responses\n" {
		t.Fatalf("purge: exit %d, %q", code, out)
	}
	if _, _, code = kvcache(t, "clear", "--store", store); code != 0 {
		t.Fatalf("clear: exit %d", code)
	}
	out, _, _ = kvcache(t, "ls", "--store", store)
	if strings.Contains(out, srv.URL) {
		t.Fatalf("ls after clear still lists the response:\n%s", out)
	}
	_, errOut, _ = kvcache(t, "fetch", "--store", store, srv.URL+"/a")
	if !strings.HasPrefix(errOut, "miss ") || hits.Load() != 2 {
		t.Fatalf("fetch after clear: stderr %q, origin requests %d; want a miss and 2", errOut, hits.Load())
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"ls", "--store", "redis://user:hunter2@localhost:6379?prefx=a"}, `unknown parameter "prefx"`},
		{[]string{"ls", "--store", "nosuch://x"}, `unknown scheme "nosuch"`},
		{[]string{"fetch", "--store", "memory:", "not a url"}, "not an absolute http or https URL"},
		{[]string{"fetch", "--store", "memory:", "-H", "novalue", "http://127.0.0.1:1/"}, "is not 'Name: value'"},
		{[]string{"copy", "--from", "memory:", "--to", "memory:"}, "same store"},
		{[]string{"frobnicate"}, "unexpected argument frobnicate\nRun 'kvcache --help'"},
		{[]string{}, "Run 'kvcache --help'"},
		{[]string{"copy", "--from", "memory:", "--to", "sqlite:///x.db", "--from-redirects", "memory:"}, "go together"},
		{[]string{"ls", "--store", "memory:", "--limit=-1"}, "--limit must be 0 or more"},
		{[]string{"proxy", "--upstream", "ftp://x"}, "not an absolute http or https URL"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := kvcache(t, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not say %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Fatalf("stderr prints a credential: %q", errOut)
			}
		})
	}
}

func TestProxy(t *testing.T) {
	srv, hits := origin(t)
	store := "sqlite://" + filepath.Join(t.TempDir(), "cache.db")
	cmd := exec.Command(binary, "proxy", "--store", store, "--listen", "127.0.0.1:0", "--upstream", srv.URL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	var addr string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "kvcache: proxying http://"); ok {
			addr, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if addr == "" {
		t.Fatal("the proxy never said where it listens")
	}
	rest := make(chan string)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()

	for i, want := range []string{"miss", "hit", "hit"} {
		resp, err := http.Get("http://" + addr + "/page")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "body of /page" || resp.Header.Get("X-Cache-Status") != want {
			t.Fatalf("request %d: body %q, X-Cache-Status %q; want %q", i, body, resp.Header.Get("X-Cache-Status"), want)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("origin saw %d requests through the proxy, want 1", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("proxy exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the proxy did not stop within 15s of SIGTERM")
	}
	if tail := <-rest; !strings.Contains(tail, "proxy stopped") {
		t.Fatalf("no graceful stop message; stderr: %q", tail)
	}
	out, _, _ := kvcache(t, "stats", "--store", store)
	if !strings.Contains(out, "hit 2, miss 1") {
		t.Fatalf("the proxy's counters were not saved at shutdown:\n%s", out)
	}
}

func TestDemo(t *testing.T) {
	store := "sqlite://" + filepath.Join(t.TempDir(), "cache.db")
	out, errOut, code := kvcache(t, "demo", "--store", store)
	if code != 0 {
		t.Fatalf("demo: exit %d, stderr %q", code, errOut)
	}
	var served []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "GET" {
			served = append(served, f[1]+" "+f[2])
		}
	}
	want := []string{"/fresh miss", "/fresh hit", "/validated miss", "/validated revalidated", "/old miss", "/old hit"}
	if diff := cmp.Diff(want, served); diff != "" {
		t.Fatalf("demo served (-want +got):\n%s\n%s", diff, out)
	}
	if !strings.Contains(out, "6 requests, 4 reached the origin") {
		t.Fatalf("demo summary wrong:\n%s", out)
	}
	// The demo leaves nothing behind in the cache it used.
	ls, _, _ := kvcache(t, "ls", "--store", store)
	if strings.Count(ls, "\n") != 1 {
		t.Fatalf("the demo left entries behind:\n%s", ls)
	}
}

// TestDemoLeavesNothing runs the demo on its default cache, a temporary
// directory, and finds nothing left in the temporary directory.
func TestDemoLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	out, errOut, code := kvcacheEnv(t, []string{"TMPDIR=" + tmp}, "demo")
	if code != 0 || !strings.Contains(out, "cache:  sqlite://"+tmp) {
		t.Fatalf("demo: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("the demo left %v in its temporary directory", left)
	}
}
