package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

func TestServed(t *testing.T) {
	h, m, s, r := httpcache.Hit, httpcache.Miss, httpcache.Stale, httpcache.Revalidated
	cases := []struct {
		hops []httpcache.Status
		want httpcache.Status
	}{
		{nil, ""},
		{[]httpcache.Status{h}, h},
		{[]httpcache.Status{m}, m},
		{[]httpcache.Status{m, h}, m}, // a redirect from the origin, then a hit: the old command said hit
		{[]httpcache.Status{h, h}, h},
		{[]httpcache.Status{h, r}, r},
		{[]httpcache.Status{s, m}, s},
	}
	for _, tc := range cases {
		if got := served(tc.hops); got != tc.want {
			t.Errorf("served(%v) = %q, want %q", tc.hops, got, tc.want)
		}
	}
}

func TestFetchLabel(t *testing.T) {
	cases := []struct {
		s            httpcache.Status
		code         int
		onlyIfCached bool
		want         string
	}{
		{httpcache.Miss, 504, true, notStored},
		{httpcache.Miss, 504, false, "miss"}, // the origin's own 504
		{httpcache.Stale, 200, true, "stale"},
		{httpcache.Hit, 200, true, "hit"},
		{httpcache.Miss, 200, false, "miss"},
	}
	for _, tc := range cases {
		if got := fetchLabel(tc.s, tc.code, tc.onlyIfCached); got != tc.want {
			t.Errorf("fetchLabel(%q, %d, %v) = %q, want %q", tc.s, tc.code, tc.onlyIfCached, got, tc.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"nil", live, nil, 0},
		{"failure", live, errors.New("x"), 1},
		{"missing cache", live, fmt.Errorf("no cache: %w", os.ErrNotExist), 1},
		{"usage", live, usageError{errors.New("x")}, 2},
		{"bad store URL", live, fmt.Errorf("a: %w", stores.ErrInvalidURL), 2},
		{"dns", live, fmt.Errorf("get: %w", &net.DNSError{Err: "no such host", Name: "x"}), 6},
		{"refused", live, fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), 7},
		{"http", live, httpError{status: "500"}, 22},
		{"timeout", live, fmt.Errorf("get: %w", context.DeadlineExceeded), 28},
		{"interrupted", done, fmt.Errorf("get: %w", context.Canceled), 130},
		{"interrupted copy", done, resumable{"copy: interrupted", fmt.Errorf("copy: %w", context.Canceled)}, 130},
		{"canceled, not by a signal", live, context.Canceled, 1},
	}
	for _, tc := range cases {
		if got := exitCode(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestLsQuery(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	infos := []httpcache.EntryInfo{
		{URL: "https://b.example/x", Method: "GET", StatusCode: 200, Size: 10, Expires: now.Add(time.Hour)},
		{URL: "https://a.example/y/z", Method: "GET", StatusCode: 404, Size: 30, Expires: now.Add(-time.Minute)},
		{URL: "https://a.example/", Method: "GET", StatusCode: 200, Size: 20},
		{URL: "https://a.example/", Method: "HEAD", StatusCode: 200, Size: 0, Expires: now.Add(time.Minute)},
	}
	urls := func(rows []httpcache.EntryInfo) []string {
		var s []string
		for _, r := range rows {
			s = append(s, r.Method+" "+r.URL)
		}
		return s
	}
	cases := []struct {
		q    lsQuery
		want []string
	}{
		{lsQuery{Sort: "url"}, []string{"GET https://a.example/", "HEAD https://a.example/", "GET https://a.example/y/z", "GET https://b.example/x"}},
		{lsQuery{Sort: "size"}, []string{"GET https://a.example/y/z", "GET https://a.example/", "GET https://b.example/x", "HEAD https://a.example/"}},
		{lsQuery{Sort: "expires"}, []string{"GET https://a.example/y/z", "HEAD https://a.example/", "GET https://b.example/x", "GET https://a.example/"}},
		{lsQuery{Sort: "url", URL: "https://a.example/*"}, []string{"GET https://a.example/", "HEAD https://a.example/", "GET https://a.example/y/z"}},
		{lsQuery{Sort: "url", URL: "*/?"}, []string{"GET https://a.example/y/z", "GET https://b.example/x"}},
		{lsQuery{Sort: "url", URL: "*b.example/?"}, []string{"GET https://b.example/x"}},
		{lsQuery{Sort: "url", URL: "https://a.example"}, nil}, // anchored
		{lsQuery{Sort: "url", Status: 404}, []string{"GET https://a.example/y/z"}},
		{lsQuery{Sort: "url", Expired: true}, []string{"GET https://a.example/y/z"}},
		{lsQuery{Sort: "url", Fresh: true}, []string{"GET https://a.example/", "HEAD https://a.example/", "GET https://b.example/x"}},
		{lsQuery{Sort: "size", Limit: 2}, []string{"GET https://a.example/y/z", "GET https://a.example/"}},
		{lsQuery{Sort: "url", URL: "*.example/x", Limit: 5}, []string{"GET https://b.example/x"}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, urls(tc.q.apply(infos, now))); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.q, diff)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 things", 1: "1 thing", 2: "2 things"} {
		if got := plural(n, "thing", "things"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCopyDecisions(t *testing.T) {
	enc := func(r *httpcache.Response) []byte {
		b, err := responseCodec.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	resp := enc(&httpcache.Response{Version: httpcache.FormatVersion, Kind: httpcache.KindResponse, URL: "u"})
	other := enc(&httpcache.Response{Version: httpcache.FormatVersion, Kind: httpcache.KindResponse, URL: "v"})
	alias := enc(&httpcache.Response{Version: httpcache.FormatVersion, Kind: httpcache.KindAlias, Alias: "k"})
	variants := enc(&httpcache.Response{Version: httpcache.FormatVersion, Kind: httpcache.KindVariants})
	oldFormat := enc(&httpcache.Response{Version: httpcache.FormatVersion + 1, Kind: httpcache.KindResponse})
	batch := []kv.Entry[string, []byte]{
		{Key: "same", Value: resp}, {Key: "changed", Value: resp}, {Key: "new", Value: resp},
		{Key: "alias", Value: alias}, {Key: "variants", Value: variants}, {Key: "old", Value: oldFormat},
		{Key: "redirect", Value: []byte("a redirects store's value")},
	}
	have := map[string][]byte{"same": resp, "changed": other, "alias": alias}
	todo, present := missingEntries(batch, have)
	keys := func(es []kv.Entry[string, []byte]) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Key)
		}
		return strings.Join(s, " ")
	}
	if got := keys(todo); got != "changed new variants old redirect" {
		t.Errorf("to write: %s", got)
	}
	if got := keys(present); got != "same alias" {
		t.Errorf("already there: %s", got)
	}
	if n := countResponses(batch); n != 3 {
		t.Errorf("countResponses = %d, want 3 (same, changed, new)", n)
	}
}

func TestStatsKeyAndHelpArgs(t *testing.T) {
	a, b := statsKey("sqlite:///a.db"), statsKey("redis://u:secret@h:6379")
	if a == b || len(a) != 64 || strings.Contains(b, "secret") {
		t.Errorf("statsKey: %q, %q", a, b)
	}
	if diff := cmp.Diff([]string{"copy", "--help"}, helpArgs([]string{"help", "copy"})); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"--help"}, helpArgs([]string{"help"})); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"ls"}, helpArgs([]string{"ls"})); diff != "" {
		t.Error(diff)
	}
}
