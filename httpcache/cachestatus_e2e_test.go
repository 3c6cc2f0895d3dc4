package httpcache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// sfMember is one member of a structured-field List (RFC 8941 3.1): an
// Item and its parameters, in order.
type sfMember struct {
	item   any // string (Token), sfString, int64 or bool
	params []sfParam
}

type sfParam struct {
	key   string
	value any
}

type sfString string

// param returns the value of parameter key and whether it is there.
func (m sfMember) param(key string) (any, bool) {
	for _, p := range m.params {
		if p.key == key {
			return p.value, true
		}
	}
	return nil, false
}

// parseSFList parses field lines as one structured-field List, strictly
// as RFC 8941 4.2 says (lines joined with ", ", 4.2 step 1; Decimals and
// Byte Sequences, which Cache-Status does not use, are refused).
func parseSFList(lines []string) ([]sfMember, error) {
	s := strings.Join(lines, ", ")
	p := &sfParser{s: strings.TrimLeft(s, " ")}
	var list []sfMember
	for p.s != "" {
		m, err := p.member()
		if err != nil {
			return nil, err
		}
		list = append(list, m)
		p.ows()
		if p.s == "" {
			break
		}
		if p.s[0] != ',' {
			return nil, fmt.Errorf("want ',' at %q", p.s)
		}
		p.s = p.s[1:]
		p.ows()
		if p.s == "" {
			return nil, errors.New("trailing comma")
		}
	}
	return list, nil
}

type sfParser struct{ s string }

func (p *sfParser) ows() { p.s = strings.TrimLeft(p.s, " \t") }

func (p *sfParser) member() (sfMember, error) {
	item, err := p.bareItem()
	if err != nil {
		return sfMember{}, err
	}
	m := sfMember{item: item}
	for strings.HasPrefix(p.s, ";") {
		p.s = strings.TrimLeft(p.s[1:], " ")
		k := p.key()
		if k == "" {
			return sfMember{}, fmt.Errorf("bad parameter key at %q", p.s)
		}
		var v any = true
		if strings.HasPrefix(p.s, "=") {
			p.s = p.s[1:]
			if v, err = p.bareItem(); err != nil {
				return sfMember{}, err
			}
		}
		m.params = append(m.params, sfParam{k, v})
	}
	return m, nil
}

var (
	sfKey     = regexp.MustCompile(`^[a-z*][a-z0-9_\-.*]*`)
	sfToken   = regexp.MustCompile("^[A-Za-z*][A-Za-z0-9!#$%&'*+\\-.^_`|~:/]*")
	sfInteger = regexp.MustCompile(`^-?[0-9]{1,15}`)
)

func (p *sfParser) key() string {
	k := sfKey.FindString(p.s)
	p.s = p.s[len(k):]
	return k
}

func (p *sfParser) bareItem() (any, error) {
	switch {
	case p.s == "":
		return nil, errors.New("empty item")
	case p.s[0] == '"':
		return p.sfString()
	case p.s[0] == '?':
		if len(p.s) < 2 || (p.s[1] != '0' && p.s[1] != '1') {
			return nil, errors.New("bad boolean")
		}
		v := p.s[1] == '1'
		p.s = p.s[2:]
		return v, nil
	case p.s[0] == '-' || (p.s[0] >= '0' && p.s[0] <= '9'):
		return p.integer()
	}
	t := sfToken.FindString(p.s)
	if t == "" {
		return nil, fmt.Errorf("bad item at %q", p.s)
	}
	p.s = p.s[len(t):]
	return t, nil
}

func (p *sfParser) sfString() (any, error) {
	var b strings.Builder
	for i := 1; i < len(p.s); i++ {
		c := p.s[i]
		switch {
		case c == '\\':
			if i+1 == len(p.s) || (p.s[i+1] != '"' && p.s[i+1] != '\\') {
				return nil, errors.New("bad escape")
			}
			i++
			b.WriteByte(p.s[i])
		case c == '"':
			p.s = p.s[i+1:]
			return sfString(b.String()), nil
		case c < 0x20 || c > 0x7e:
			return nil, errors.New("bad string character")
		default:
			b.WriteByte(c)
		}
	}
	return nil, errors.New("unterminated string")
}

func (p *sfParser) integer() (any, error) {
	n := sfInteger.FindString(p.s)
	if n == "" || (len(p.s) > len(n) && (p.s[len(n)] == '.' || (p.s[len(n)] >= '0' && p.s[len(n)] <= '9'))) {
		return nil, fmt.Errorf("bad integer at %q", p.s)
	}
	p.s = p.s[len(n):]
	v, _ := strconv.ParseInt(n, 10, 64)
	return v, nil
}

// cacheStatus parses h's Cache-Status and returns its last member, which
// must be the Transport's (name), and the members before it.
func cacheStatus(t *testing.T, h http.Header, name any) (sfMember, []sfMember) {
	t.Helper()
	list, err := parseSFList(h.Values("Cache-Status"))
	if err != nil {
		t.Fatalf("Cache-Status %q: %v", h.Values("Cache-Status"), err)
	}
	if len(list) == 0 {
		t.Fatalf("no Cache-Status")
	}
	last := list[len(list)-1]
	if last.item != name {
		t.Fatalf("Cache-Status %q: last member %v, want %v", h.Values("Cache-Status"), last.item, name)
	}
	return last, list[:len(list)-1]
}

// csWant is what a test expects of the Transport's member: hit or the
// fwd token, fwd-status (0: absent), stored, and ttl (nil: absent).
type csWant struct {
	hit       bool
	fwd       string
	fwdStatus int64
	stored    bool
	ttl       any
}

func checkMember(t *testing.T, step string, m sfMember, w csWant) {
	t.Helper()
	got := csWant{}
	if v, ok := m.param("hit"); ok {
		got.hit = v == true
	}
	if v, ok := m.param("fwd"); ok {
		got.fwd, _ = v.(string)
	}
	if v, ok := m.param("fwd-status"); ok {
		got.fwdStatus, _ = v.(int64)
	}
	if v, ok := m.param("stored"); ok {
		got.stored = v == true
	}
	if v, ok := m.param("ttl"); ok {
		got.ttl = v
	}
	if got != w {
		t.Errorf("%s: member %+v, want %+v", step, got, w)
	}
}

// testCacheStatus: every response but a made-up 504 carries the
// Transport's Cache-Status member (RFC 9211), last, with members of
// caches nearer the origin kept before it; hit with ttl, or fwd with the
// reason, fwd-status when the origin's status is not the one served,
// stored, ttl (negative when stale), in private and shared mode.
func testCacheStatus(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			failing := false
			e := newEnv(t, b, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/vary" {
					w.Header().Set("Vary", "Accept-Language")
				}
				if r.URL.Path == "/upstream" {
					w.Header().Add("Cache-Status", `OriginCache; hit; ttl=100`)
					w.Header().Add("Cache-Status", `"CDN Co"; fwd=stale; fwd-status=304`)
				}
				if failing {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				validating(map[string]string{"Cache-Control": "public, max-age=60, stale-if-error=600", "ETag": `"v1"`})(w, r)
			}, httpcache.WithShared(shared))
			get := func(path string, h http.Header) result {
				return e.do(e.req(context.Background(), http.MethodGet, path, "", h))
			}
			steps := []struct {
				name    string
				advance time.Duration
				path    string
				h       http.Header
				want    csWant
			}{
				{"miss, stored", 0, "/a", nil, csWant{fwd: "uri-miss", stored: true, ttl: int64(60)}},
				{"hit", 10 * time.Second, "/a", nil, csWant{hit: true, ttl: int64(50)}},
				{"caller's conditional request answered 304 from the cache", 0, "/a", http.Header{"If-None-Match": {`"v1"`}}, csWant{hit: true, ttl: int64(50)}},
				{"request no-cache with a fresh response", 0, "/a", http.Header{"Cache-Control": {"no-cache"}}, csWant{fwd: "request", fwdStatus: 304, stored: true, ttl: int64(60)}},
				{"stale, revalidated: 304 refreshes it", 70 * time.Second, "/a", nil, csWant{fwd: "stale", fwdStatus: 304, stored: true, ttl: int64(60)}},
				{"vary, miss", 0, "/vary", http.Header{"Accept-Language": {"en"}}, csWant{fwd: "uri-miss", stored: true, ttl: int64(60)}},
				{"vary, another variant", 0, "/vary", http.Header{"Accept-Language": {"de"}}, csWant{fwd: "vary-miss", stored: true, ttl: int64(60)}},
				{"vary, hit", 0, "/vary", http.Header{"Accept-Language": {"de"}}, csWant{hit: true, ttl: int64(60)}},
				{"caller's conditional request, nothing stored", 0, "/b", http.Header{"If-None-Match": {`"v1"`}}, csWant{fwd: "uri-miss"}},
				{"Range: bypass", 0, "/c", http.Header{"Range": {"bytes=0-1,3-4"}}, csWant{fwd: "bypass"}},
			}
			for _, s := range steps {
				e.clk.Add(s.advance)
				r := get(s.path, s.h)
				m, before := cacheStatus(t, r.header, "kvcache")
				if len(before) != 0 {
					t.Errorf("%s: members before ours: %v", s.name, before)
				}
				checkMember(t, s.name, m, s.want)
			}

			// Members of caches nearer the origin come first, as sent.
			r := get("/upstream", nil)
			m, before := cacheStatus(t, r.header, "kvcache")
			if len(before) != 2 || before[0].item != "OriginCache" || before[1].item != sfString("CDN Co") {
				t.Errorf("upstream members: %+v", before)
			}
			checkMember(t, "upstream, miss", m, csWant{fwd: "uri-miss", stored: true, ttl: int64(60)})
			r = get("/upstream", nil)
			m, before = cacheStatus(t, r.header, "kvcache")
			if len(before) != 2 {
				t.Errorf("upstream members of a hit: %+v", before)
			}
			checkMember(t, "upstream, hit", m, csWant{hit: true, ttl: int64(60)})

			// The method is not cached.
			r = e.do(e.req(context.Background(), http.MethodPost, "/p", "x", nil))
			m, _ = cacheStatus(t, r.header, "kvcache")
			checkMember(t, "POST", m, csWant{fwd: "method"})

			// stale-if-error: forwarded, the origin's 500 is not what is
			// served, the ttl is negative.
			e.clk.Add(70 * time.Second)
			failing = true
			r = get("/a", nil)
			if r.status != httpcache.Stale {
				t.Fatalf("stale-if-error: %s", r.status)
			}
			m, _ = cacheStatus(t, r.header, "kvcache")
			checkMember(t, "stale-if-error", m, csWant{fwd: "stale", fwdStatus: 500, ttl: int64(-10)})

			// max-stale: a stale hit.
			r = get("/a", http.Header{"Cache-Control": {"max-stale"}})
			m, _ = cacheStatus(t, r.header, "kvcache")
			checkMember(t, "max-stale", m, csWant{hit: true, ttl: int64(-10)})

			// A 504 the cache makes up carries no member.
			r = e.do(e.req(httpcache.OnlyIfCached(context.Background()), http.MethodGet, "/none", "", nil))
			if r.code != http.StatusGatewayTimeout || len(r.header.Values("Cache-Status")) != 0 {
				t.Errorf("OnlyIfCached, nothing stored: %d, Cache-Status %q", r.code, r.header.Values("Cache-Status"))
			}
		})
	}
}

// testCacheStatusOptions: the member's name (a String when it is not a
// Token) and key= are options; an empty name sends no member.
func testCacheStatusOptions(t *testing.T, b backend) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			h := validating(map[string]string{"Cache-Control": "max-age=60"})
			e := newEnv(t, b, h, httpcache.WithShared(shared), httpcache.WithCacheStatusName(`edge "1"`), httpcache.WithCacheStatusKey(true))
			var keys []any
			for i := range 2 {
				r := e.get("/k")
				m, _ := cacheStatus(t, r.header, sfString(`edge "1"`))
				k, _ := m.param("key")
				if s, ok := k.(sfString); !ok || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(string(s)) {
					t.Errorf("request %d: key %v", i, k)
				}
				keys = append(keys, k)
			}
			if keys[0] != keys[1] {
				t.Errorf("keys differ: %v", keys)
			}
			off := newEnv(t, b, h, httpcache.WithShared(shared), httpcache.WithCacheStatusName(""))
			if r := off.get("/k"); len(r.header.Values("Cache-Status")) != 0 || r.status != httpcache.Miss {
				t.Errorf("no name: Cache-Status %q, %s", r.header.Values("Cache-Status"), r.status)
			}
		})
	}
}
