package postgres_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/postgres"
)

// TestConnectFailuresSecurity opens stores that cannot connect: a wrong
// password (the test server has SCRAM authentication on), TLS required
// of a server without TLS, and a host that does not answer. Each must
// fail within the dial timeout (connect_timeout=1) plus a second of
// slack, and no error may hold the password given or the real one.
func TestConnectFailuresSecurity(t *testing.T) {
	good, err := url.Parse(testenv.Server(t, envURL))
	if err != nil {
		t.Fatal(err)
	}
	realPassword, _ := good.User.Password()
	// A server that accepts connections and never says a word, as a host
	// behind a firewall that drops packets looks to a dialer once the
	// TCP handshake is done (192.0.2.1 below may be refused at once,
	// depending on the network).
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	const wrong = "hunter2-wrong-password"
	with := func(mod func(u *url.URL, q url.Values)) string {
		u := *good
		q := u.Query()
		q.Set("connect_timeout", "1")
		mod(&u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	cases := []struct {
		name, dsn, want string
	}{
		{"wrong password", with(func(u *url.URL, q url.Values) { u.User = url.UserPassword(u.User.Username(), wrong) }), "password authentication failed"},
		{"unknown user", with(func(u *url.URL, q url.Values) { u.User = url.UserPassword("nosuchuser", wrong) }), "password authentication failed"},
		{"TLS required, server has none", with(func(u *url.URL, q url.Values) { q.Set("sslmode", "require") }), "server refused TLS connection"},
		{"TLS verify-full, server has none", with(func(u *url.URL, q url.Values) { q.Set("sslmode", "verify-full") }), "server refused TLS connection"},
		// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): routed nowhere.
		{"unreachable host", with(func(u *url.URL, q url.Values) { u.Host = "192.0.2.1:5432" }), "192.0.2.1"},
		{"host that never answers", with(func(u *url.URL, q url.Values) { u.Host = silent.Addr().String() }), "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			start := time.Now()
			s, err := postgres.Open(ctx, tc.dsn, "kv_security")
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
			for _, p := range []string{wrong, realPassword} {
				if strings.Contains(err.Error(), p) {
					t.Errorf("the error holds a password: %v", err)
				}
			}
			if took > 2*time.Second {
				t.Errorf("Open took %v, want within the 1s dial timeout (and a second of slack)", took)
			}
		})
	}
}
