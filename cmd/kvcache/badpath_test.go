package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree lists every path under dir, to see that a command created nothing.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// TestMissingCacheCreatesNothing runs every command that needs an
// existing cache on caches that are not there: each exits 1 naming the
// URL, and nothing is created. On the old command line, each created the
// store and exited 0 (ls printed an empty table, copy "copied 0 entries").
func TestMissingCacheCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	missing := map[string]string{
		"sqlite typo":       "sqlite://" + filepath.Join(dir, "typo.db"),
		"sqlite empty file": "sqlite://" + empty,
		"sqlite in no dir":  "sqlite://" + filepath.Join(dir, "no", "dir", "c.db"),
		"badger":            "badger://" + filepath.Join(dir, "nobadger"),
		"file":              "file://" + filepath.Join(dir, "nofiles"),
	}
	commands := map[string][]string{
		"ls":    {"ls", "--store"},
		"stats": {"stats", "--store"},
		"purge": {"purge", "--store"},
		"clear": {"clear", "--store"},
		"rm":    {"rm", "http://example.com/", "--store"},
		"copy":  {"copy", "--to", "sqlite://" + filepath.Join(dir, "to.db"), "--from"},
	}
	for name, u := range missing {
		for cmdName, args := range commands {
			t.Run(cmdName+" "+name, func(t *testing.T) {
				_, errOut, code := kvcache(t, append(args, u)...)
				if code != 1 || !strings.Contains(errOut, "no cache at "+u) {
					t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, "no cache at "+u)
				}
			})
		}
	}
	if after := tree(t, dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("commands on missing caches created files:\nbefore %v\nafter  %v", before, after)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty file was changed: %v, %v", fi, err)
	}
}

// TestMissingCacheRedactsURL: the error naming a missing cache hides the
// URL's secrets.
func TestMissingCacheRedactsURL(t *testing.T) {
	u := "file://admin:hunter2@localhost" + filepath.Join(t.TempDir(), "missing")
	_, errOut, code := kvcache(t, "ls", "--store", u)
	if code != 1 || !strings.Contains(errOut, "no cache at") || strings.Contains(errOut, "hunter2") {
		t.Fatalf("exit %d, stderr %q; want 1, the URL named without its secret", code, errOut)
	}
}

// TestFetchExitCodes: fetch exits with curl's codes. The old command
// exited 0 for a 500 and for only-if-cached on an empty cache, and 1 for
// every network failure.
func TestFetchExitCodes(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	store := "sqlite://" + filepath.Join(t.TempDir(), "c.db")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"500 without --fail", []string{broken.URL}, 0, "miss 500 Internal Server Error"},
		{"500 with --fail", []string{"--fail", broken.URL}, 22, "the response was 500 Internal Server Error"},
		{"only-if-cached", []string{"--only-if-cached", broken.URL + "/none"}, 0, "only-if-cached: not stored 504"},
		{"only-if-cached --fail", []string{"--only-if-cached", "--fail", broken.URL + "/none"}, 22, "only-if-cached: not stored 504"},
		{"refused", []string{"http://127.0.0.1:1/"}, 7, "connection refused"},
		{"dns", []string{"http://no-such-host.invalid/"}, 6, "no-such-host.invalid"},
		{"timeout", []string{"--timeout", "300ms", slow.URL}, 28, "deadline exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := kvcache(t, append([]string{"fetch", "--store", store}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.stderr)
			}
		})
	}
}

// TestInterruptedFetchExits130: Ctrl-C exits 130 with a one-line message,
// not a raw "context canceled" (the old command exited 1 with it).
func TestInterruptedFetchExits130(t *testing.T) {
	started := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	cmd := exec.Command(binary, "fetch", "--store", "sqlite://"+filepath.Join(t.TempDir(), "c.db"), slow.URL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	<-started
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || string(out) != "kvcache: interrupted\n" {
		t.Fatalf("exit %d (%v), stderr %q; want 130 and \"kvcache: interrupted\"", code, err, out)
	}
}

// TestProxyBindFailureExitsOne: a port in use is a failure (1), not a
// bad command line (2, as before).
func TestProxyBindFailureExitsOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, errOut, code := kvcache(t, "proxy", "--store", "sqlite://"+filepath.Join(t.TempDir(), "c.db"),
		"--listen", ln.Addr().String(), "--upstream", "http://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("exit %d, stderr %q; want 1 and the bind error", code, errOut)
	}
}

// TestProxyUpstreamDown: the proxy's 502 carries the cache status header,
// like every answer of the proxy (it had none).
func TestProxyUpstreamDown(t *testing.T) {
	addr := startProxy(t, "sqlite://"+filepath.Join(t.TempDir(), "c.db"), "http://127.0.0.1:1")
	resp, err := http.Get("http://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Cache-Status") != "miss" {
		t.Fatalf("%s, X-Cache-Status %q; want 502 and miss", resp.Status, resp.Header.Get("X-Cache-Status"))
	}
}

// startProxy runs the proxy on a free port until the test ends and
// returns its address.
func startProxy(t *testing.T, store, upstream string) string {
	t.Helper()
	cmd := exec.Command(binary, "proxy", "--store", store, "--listen", "127.0.0.1:0", "--upstream", upstream)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "kvcache: proxying http://"); ok {
			go io.Copy(io.Discard, stderr)
			addr, _, _ := strings.Cut(rest, " ")
			return addr
		}
	}
	t.Fatal("the proxy never said where it listens")
	return ""
}

// TestProxyStatsLive: stats shows a running proxy's counts within about a
// second (the old proxy wrote them every 30 s).
func TestProxyStatsLive(t *testing.T) {
	srv, _ := origin(t)
	store := "sqlite://" + filepath.Join(t.TempDir(), "c.db")
	addr := startProxy(t, store, srv.URL)
	for range 2 {
		resp, err := http.Get("http://" + addr + "/p")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _, _ := kvcache(t, "stats", "--store", store)
		if strings.Contains(out, "hit 1, miss 1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats of the running proxy after 5s:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestHelpAndVersion: help points where to look, copy's help lists only
// its own flags, --version prints the module version.
func TestHelpAndVersion(t *testing.T) {
	out, _, code := kvcache(t, "help", "copy")
	if code != 0 || !strings.Contains(out, "--from=URL") || strings.Contains(out, "--store") {
		t.Fatalf("help copy: exit %d,\n%s", code, out)
	}
	out2, _, _ := kvcache(t, "copy", "--help")
	if out2 != out {
		t.Fatalf("help copy and copy --help differ:\n%s\n%s", out, out2)
	}
	out, _, code = kvcache(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "kvcache ") || strings.Contains(out, "unknown") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
	out, _, code = kvcache(t, "ls", "--help")
	if code != 0 || !strings.Contains(out, "--store=") || !strings.Contains(out, "--json") || strings.Contains(out, "--stats-store") {
		t.Fatalf("ls --help: exit %d,\n%s", code, out)
	}
}

// TestProxyPassesEncodingThrough: a client that asks for no encoding gets
// the origin's identity body, and one that asks for gzip gets the gzip
// bytes with their Content-Encoding: the proxy neither asks the origin for
// gzip on its own nor decodes what it gets (RFC 9110 §7.7). The old proxy
// added Accept-Encoding: gzip upstream and served the decoded body.
func TestProxyPassesEncodingThrough(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("X-Seen-Accept-Encoding", r.Header.Get("Accept-Encoding"))
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write([]byte("plain body"))
			gz.Close()
			return
		}
		w.Write([]byte("plain body"))
	}))
	t.Cleanup(srv.Close)
	addr := startProxy(t, "sqlite://"+filepath.Join(t.TempDir(), "cache.db"), srv.URL)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, ae := range []string{"", "gzip"} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/enc", nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if seen := resp.Header.Get("X-Seen-Accept-Encoding"); seen != ae {
			t.Errorf("Accept-Encoding %q: the origin saw %q", ae, seen)
		}
		switch ae {
		case "":
			if string(body) != "plain body" || resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("identity: body %q, Content-Encoding %q", body, resp.Header.Get("Content-Encoding"))
			}
		case "gzip":
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("gzip: Content-Encoding %q, body %q", resp.Header.Get("Content-Encoding"), body)
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gzip: body is not gzip: %v", err)
			}
			plain, _ := io.ReadAll(zr)
			if string(plain) != "plain body" {
				t.Errorf("gzip: decoded body %q", plain)
			}
		}
	}
}

// TestCompletion: with COMP_LINE set (how bash, zsh and fish ask a
// command registered with `complete -C`), kvcache prints the commands or
// flags that complete the line and exits 0; `kvcache completion` prints
// the line that registers it.
func TestCompletion(t *testing.T) {
	for line, want := range map[string][]string{
		"kvcache l":        {"ls"},
		"kvcache c":        {"clear", "completion", "copy"},
		"kvcache ls --so":  {"--sort"},
		"kvcache copy --f": {"--from", "--from-redirects"},
	} {
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), "COMP_LINE="+line)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("COMP_LINE=%q: %v", line, err)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("COMP_LINE=%q: completions %q, want %q", line, got, want)
		}
	}
	cmd := exec.Command(binary, "completion")
	cmd.Env = append(os.Environ(), "SHELL=/bin/bash")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "complete -C " + binary + " kvcache\n"; string(out) != want {
		t.Errorf("kvcache completion: %q, want %q", out, want)
	}
}
