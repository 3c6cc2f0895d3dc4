package httpcache_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/memory"
)

// TestSharedAuthorizationSecurity: in shared mode, a response to a request
// with Authorization is stored (and served to the next user) only when the
// response allows it: public, s-maxage or must-revalidate (RFC 9111 3.5);
// a private response is never stored, with or without Authorization. In
// private mode (the default) the same responses are stored.
func TestSharedAuthorizationSecurity(t *testing.T) {
	cases := []struct {
		cacheControl string
		auth         bool
		shared       bool
		wantStored   bool
	}{
		{"max-age=60", true, true, false},
		{"max-age=60, public", true, true, true},
		{"s-maxage=60", true, true, true},
		{"max-age=60, must-revalidate", true, true, true},
		{"max-age=60, proxy-revalidate", true, true, false},
		{"private, max-age=60", true, true, false},
		{"private, max-age=60", false, true, false},
		{"private, public, s-maxage=60", true, true, false},
		{"max-age=60, no-store, public", true, true, false},
		{"max-age=60", false, true, true},
		{"max-age=60", true, false, true},
		{"private, max-age=60", true, false, true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/auth=%v/shared=%v", c.cacheControl, c.auth, c.shared)
		t.Run(name, func(t *testing.T) {
			m := memory.New[string, *httpcache.Response](memory.WithSweepInterval(0))
			defer m.Close()
			origin := &cannedOrigin{respond: func(req *http.Request) *http.Response {
				body := "for " + req.Header.Get("Authorization")
				return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{"Cache-Control": {c.cacheControl}}, Body: nopBody(body), ContentLength: int64(len(body)), Request: req}
			}}
			tr := httpcache.New(m, nil, httpcache.WithTransport(origin), httpcache.WithShared(c.shared))
			defer tr.Close()
			h := func(user string) http.Header {
				if !c.auth {
					return nil
				}
				return http.Header{"Authorization": {"Bearer " + user}}
			}
			first := getFault(t, tr, "http://example.test/account", h("alice"))
			second := getFault(t, tr, "http://example.test/account", h("bob"))
			n, err := m.Len(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if stored := n > 0; stored != c.wantStored {
				t.Fatalf("stored %v (%d entries), want %v", stored, n, c.wantStored)
			}
			if !c.wantStored && (second.status != httpcache.Miss || origin.hits.Load() != 2) {
				t.Fatalf("second user got %s %q (origin hits %d), want a miss from the origin", second.status, second.body, origin.hits.Load())
			}
			if c.wantStored && (second.status != httpcache.Hit || second.body != first.body) {
				t.Fatalf("second request: %s %q, want a hit", second.status, second.body)
			}
		})
	}
}

// TestVaryUserSeparationSecurity: a response that varies by Cookie or
// Authorization is never served to a user who sent another value (or
// none), in private and shared mode, over every backend's byte encoding
// (memory with CBOR here).
func TestVaryUserSeparationSecurity(t *testing.T) {
	for _, shared := range []bool{false, true} {
		for _, vary := range []string{"Cookie", "Authorization", "Accept-Encoding, Cookie", "authorization"} {
			t.Run(fmt.Sprintf("shared=%v/vary=%s", shared, vary), func(t *testing.T) {
				raw := memory.New[string, []byte](memory.WithSweepInterval(0))
				origin := &cannedOrigin{respond: func(req *http.Request) *http.Response {
					body := "private data of " + req.Header.Get("Cookie") + req.Header.Get("Authorization")
					return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
						Header: http.Header{"Cache-Control": {"public, max-age=600"}, "Vary": {vary}},
						Body:   nopBody(body), ContentLength: int64(len(body)), Request: req}
				}}
				tr := httpcache.NewFromStores(raw, nil, httpcache.WithTransport(origin), httpcache.WithShared(shared))
				defer tr.Close()
				header := func(user string) http.Header {
					if user == "" {
						return nil
					}
					if strings.Contains(strings.ToLower(vary), "cookie") {
						return http.Header{"Cookie": {"session=" + user}}
					}
					return http.Header{"Authorization": {"Bearer " + user}}
				}
				want := map[string]string{}
				for _, round := range []int{1, 2} {
					for _, user := range []string{"alice", "bob", "", "carol"} {
						got := getFault(t, tr, "http://example.test/me", header(user))
						if round == 1 {
							want[user] = got.body
							if got.status != httpcache.Miss {
								t.Fatalf("first request of %q: %s %q, want a miss", user, got.status, got.body)
							}
							continue
						}
						if got.body != want[user] || got.status != httpcache.Hit {
							t.Fatalf("user %q got %s %q, want a hit with %q", user, got.status, got.body, want[user])
						}
					}
				}
				if want["alice"] == want["bob"] {
					t.Fatal("the origin did not tell users apart: the test proves nothing")
				}
			})
		}
	}
}

// Secrets sent with requests; none may appear in any store's raw bytes.
var secrets = map[string]string{
	"Authorization header":       "SECRET-authz-9f1c",
	"Proxy-Authorization header": "SECRET-proxy-77aa",
	"Cookie header":              "SECRET-cookie-31d0",
	"X-Api-Key header":           "SECRET-xapikey-5e2b",
	"X-Auth-Token header":        "SECRET-xauth-c4c4",
	"api_key parameter":          "SECRET-apikeyparam-0b9e",
	"token parameter (ignored)":  "SECRET-tokenparam-6d6d",
	"access_token parameter":     "SECRET-access-e7e7",
	"URL password":               "SECRET-userinfo-8a8a",
}

// TestCredentialsNotStoredSecurity sends requests carrying credentials
// (headers, query parameters, a URL password) through a redirect to a
// response that varies by all of them, over every backend, then reads the
// backend's raw bytes (memory entries, the files of file, SQLite and
// Badger, Redis strings) and looks for each secret in clear, in base64
// and URL-escaped. Positive controls prove the dump holds what was stored:
// the body and a non-secret request header the response varies by.
func TestCredentialsNotStoredSecurity(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/final?access_token="+secrets["access_token parameter"]+"&page=1", http.StatusFound)
		case "/final":
			w.Header().Set("Cache-Control", "max-age=600")
			w.Header().Set("Vary", "Authorization, Proxy-Authorization, Cookie, X-Api-Key, X-Auth-Token, Accept")
			fmt.Fprint(w, "CANARY-BODY-4242")
		}
	}))
	defer origin.Close()
	for _, b := range faulttest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			inst := b.New(t)
			typed := kv.Typed(inst.Store, kv.StringKeys(), kv.CBOR[*httpcache.Response]())
			tr := httpcache.New(typed, nil, httpcache.WithIgnoredParams("token"))
			defer tr.Close()
			u, err := url.Parse(origin.URL + "/start?api_key=" + secrets["api_key parameter"] + "&token=" + secrets["token parameter (ignored)"] + "&q=1")
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.UserPassword("user", secrets["URL password"])
			for i := range 2 {
				req, err := http.NewRequest(http.MethodGet, u.String(), nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+secrets["Authorization header"])
				req.Header.Set("Proxy-Authorization", "Basic "+secrets["Proxy-Authorization header"])
				req.Header.Set("Cookie", "session="+secrets["Cookie header"])
				req.Header.Set("X-Api-Key", secrets["X-Api-Key header"])
				req.Header.Set("X-Auth-Token", secrets["X-Auth-Token header"])
				req.Header.Set("Accept", "CANARY-ACCEPT-4242")
				resp, err := tr.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if want := []httpcache.Status{httpcache.Miss, httpcache.Hit}[i]; httpcache.CacheStatus(resp) != want {
					t.Fatalf("request %d: %s, want %s", i, httpcache.CacheStatus(resp), want)
				}
			}
			dump := inst.Dump(t)
			for _, canary := range []string{"CANARY-BODY-4242", "CANARY-ACCEPT-4242"} {
				if !bytes.Contains(dump, []byte(canary)) {
					t.Fatalf("%q not found in the %d raw bytes: the dump does not show what is stored", canary, len(dump))
				}
			}
			for what, secret := range secrets {
				for _, form := range []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte("user:" + secret))} {
					if bytes.Contains(dump, []byte(form)) {
						t.Errorf("%s (%q) is stored in clear in %s", what, form, b.Name)
					}
				}
			}
			t.Logf("%s: %d raw bytes searched for %d secrets", b.Name, len(dump), len(secrets))
		})
	}
}

// TestRedirectLocationCredentialsSecurity: with redirects cacheable
// (WithAllowedCodes(200, 302)), a redirect whose Location carries an
// ignored parameter (access_token) is not stored at all: the header
// cannot be kept without the token, nor changed without sending the client
// elsewhere. A redirect without one is stored as usual.
func TestRedirectLocationCredentialsSecurity(t *testing.T) {
	const secret = "SECRET-location-1f1f"
	var requests atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/final?access_token="+secret, http.StatusFound)
		case "/plain":
			http.Redirect(w, r, "/final?page=2", http.StatusFound)
		default:
			fmt.Fprint(w, "CANARY-BODY")
		}
	}))
	defer origin.Close()
	for _, b := range faulttest.Backends() {
		if b.Name != "memory" {
			continue
		}
		inst := b.New(t)
		tr := httpcache.NewFromStores(inst.Store, nil, httpcache.WithAllowedCodes(200, 302))
		defer tr.Close()
		client := tr.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		get := func(path string) string {
			resp, err := client.Get(origin.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("GET %s: status %d, want 302", path, resp.StatusCode)
			}
			return resp.Header.Get("Location")
		}
		for range 2 {
			if loc := get("/start"); !strings.Contains(loc, secret) {
				t.Fatalf("the client got Location %q: the redirect target was changed", loc)
			}
		}
		if n := requests.Load(); n != 2 {
			t.Fatalf("origin saw %d requests for a redirect carrying a credential, want 2 (not stored)", n)
		}
		get("/plain")
		get("/plain")
		if n := requests.Load(); n != 3 {
			t.Fatalf("origin saw %d requests after two of /plain, want 3: a plain redirect is stored", n)
		}
		if bytes.Contains(inst.Dump(t), []byte(secret)) {
			t.Fatal("an ignored parameter (access_token) in a redirect's Location header was written to the store")
		}
	}
}
