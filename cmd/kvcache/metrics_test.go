package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestProxyMetrics runs the proxy with --metrics on free loopback ports,
// sends it requests and reads /metrics: the store operations and the
// responses by cache status are there, in the Prometheus text format.
func TestProxyMetrics(t *testing.T) {
	srv, _ := origin(t)
	store := "sqlite://" + filepath.Join(t.TempDir(), "cache.db")
	cmd := exec.Command(binary, "proxy", "--store", store, "--listen", "127.0.0.1:0",
		"--metrics", "127.0.0.1:0", "--upstream", srv.URL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	var proxy, metrics string
	for (proxy == "" || metrics == "") && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "kvcache: proxying http://"); ok {
			proxy, _, _ = strings.Cut(rest, " ")
		}
		if rest, ok := strings.CutPrefix(lines.Text(), "kvcache: metrics on "); ok {
			metrics = rest
		}
	}
	if proxy == "" || metrics == "" {
		t.Fatalf("the proxy did not say where it listens (proxy %q, metrics %q)", proxy, metrics)
	}
	go io.Copy(io.Discard, stderr)

	before := scrape(t, metrics)
	for _, path := range []string{"/a", "/a", "/a", "/b"} {
		resp, err := http.Get("http://" + proxy + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	after := scrape(t, metrics)

	moved := map[string]float64{}
	for series, v := range after {
		if d := v - before[series]; d != 0 && !strings.Contains(series, "_bucket{") && !strings.Contains(series, "_sum{") {
			moved[series] = d
		}
	}
	// Two misses (stored) and two hits: each miss read its key once (a
	// miss in the store) and wrote it, each hit read it.
	opSeries := func(op, more string) string {
		return `db_client_operation_duration_seconds_count{db_namespace="responses",db_operation_name="` + op +
			`",db_system_name="sqlite"` + more + `,otel_scope_name="github.com/kvkit/kv/otelkv",otel_scope_schema_url="",otel_scope_version=""}`
	}
	for series, want := range map[string]float64{
		`kvcache_proxy_responses_total{http_cache_status="hit",otel_scope_name="github.com/kvkit/kv/cmd/kvcache",otel_scope_schema_url="",otel_scope_version=""}`:  2,
		`kvcache_proxy_responses_total{http_cache_status="miss",otel_scope_name="github.com/kvkit/kv/cmd/kvcache",otel_scope_schema_url="",otel_scope_version=""}`: 2,
		opSeries("get", `,kv_result="hit"`): 2,
		// The Transport's own instruments, through the same provider.
		`httpcache_requests_total{cache_status="hit",otel_scope_name="github.com/kvkit/kv/httpcache",otel_scope_schema_url="",otel_scope_version=""}`:  2,
		`httpcache_requests_total{cache_status="miss",otel_scope_name="github.com/kvkit/kv/httpcache",otel_scope_schema_url="",otel_scope_version=""}`: 2,
	} {
		if got := moved[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	var sets, misses float64
	for series, d := range moved {
		responses := strings.HasPrefix(series, "db_client_operation_duration_seconds_count{") &&
			strings.Contains(series, `db_namespace="responses"`)
		if responses && strings.Contains(series, `db_operation_name="set"`) {
			sets += d
		}
		if responses && strings.Contains(series, `kv_result="miss"`) {
			misses += d
		}
		if strings.Contains(series, "error_type=") {
			t.Errorf("an operation failed: %s moved by %v", series, d)
		}
	}
	if sets < 2 || misses < 2 {
		t.Errorf("store sets %v and misses %v, want at least 2 each; moved:\n%s", sets, misses, cmp.Diff(map[string]float64{}, moved))
	}
	if after[`kv_client_bytes_written_total{db_namespace="responses",db_operation_name="set",db_system_name="sqlite",otel_scope_name="github.com/kvkit/kv/otelkv",otel_scope_schema_url="",otel_scope_version=""}`] <= 0 {
		t.Error("no bytes written recorded for the responses stored")
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
}

// sample is one line of the Prometheus text format: a series and its value.
var sample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$`)

// scrape reads url and returns the value of each series.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %s, Content-Type %q; want 200 and Prometheus text", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := sample.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("%s: value %q: %v", url, m[2], err)
		}
		out[m[1]] = v
	}
	return out
}
