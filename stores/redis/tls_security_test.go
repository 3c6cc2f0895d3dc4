package redis_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/rueidis"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/conformance"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores/redis"
)

const (
	secUser     = "kvapp"
	secUserPass = "user-secret-7c1e"
	secDefault  = "default-secret-93ab"
)

// secureOption is a client option for addr with a short dial and write
// timeout, so that a refused handshake shows as an error, never a hang.
func secureOption(addr, user, pass string, tlsCfg *tls.Config) rueidis.ClientOption {
	return rueidis.ClientOption{
		InitAddress:      []string{addr},
		Username:         user,
		Password:         pass,
		TLSConfig:        tlsCfg,
		DisableCache:     true,
		Dialer:           net.Dialer{Timeout: time.Second},
		ConnWriteTimeout: 2 * time.Second,
	}
}

// TestTLSAuthSecurity runs a redis-server of its own that listens with
// TLS only (a CA and certificate made by the test) and requires a
// password for the default user and an ACL user. A client trusting the CA
// with the right credentials works (a round trip and the conformance
// suite); a wrong or missing password, a client that does not trust the
// CA and a plaintext client all get an error within a few seconds, and
// no error message holds a password.
func TestTLSAuthSecurity(t *testing.T) {
	files := faulttest.NewTLSFiles(t)
	srv := faulttest.StartSecureRedis(t, faulttest.SecureRedisConfig{
		Password: secDefault, User: secUser, UserPassword: secUserPass, TLS: files,
	})
	trusted := &tls.Config{RootCAs: files.Pool}

	t.Run("ok", func(t *testing.T) {
		for _, c := range []struct{ name, user, pass string }{
			{"acl-user", secUser, secUserPass},
			{"default-user", "", secDefault},
		} {
			t.Run(c.name, func(t *testing.T) {
				roundTrip(t, secureOption(srv.Addr, c.user, c.pass, trusted.Clone()))
			})
		}
	})

	t.Run("conformance", func(t *testing.T) {
		client, err := rueidis.NewClient(secureOption(srv.Addr, secUser, secUserPass, trusted.Clone()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.Close)
		conformance.Run(t, conformanceConfig([]rueidis.Client{client}))
	})

	refused := []struct {
		name       string
		opt        rueidis.ClientOption
		wantSubstr string
	}{
		{"wrong-password", secureOption(srv.Addr, secUser, "not-"+secUserPass, trusted.Clone()), "WRONGPASS"},
		{"wrong-default-password", secureOption(srv.Addr, "", "not-"+secDefault, trusted.Clone()), "WRONGPASS"},
		{"no-password", secureOption(srv.Addr, "", "", trusted.Clone()), "NOAUTH"},
		{"untrusted-ca", secureOption(srv.Addr, secUser, secUserPass, &tls.Config{}), "certificate signed by unknown authority"},
		{"plaintext-client", secureOption(srv.Addr, secUser, secUserPass, nil), ""},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			err, took := openErr(t, c.opt)
			if c.wantSubstr != "" && !strings.Contains(err.Error(), c.wantSubstr) {
				t.Errorf("error %q does not say %q", err, c.wantSubstr)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
		})
	}
}

// TestAuthSecurity does the same with a plaintext server that requires
// passwords.
func TestAuthSecurity(t *testing.T) {
	srv := faulttest.StartSecureRedis(t, faulttest.SecureRedisConfig{
		Password: secDefault, User: secUser, UserPassword: secUserPass,
	})
	roundTrip(t, secureOption(srv.Addr, secUser, secUserPass, nil))
	roundTrip(t, secureOption(srv.Addr, "", secDefault, nil))
	for _, c := range []struct {
		name, user, pass, want string
	}{
		{"wrong-password", secUser, "not-" + secUserPass, "WRONGPASS"},
		{"unknown-user", "nobody", secUserPass, "WRONGPASS"},
		{"no-password", "", "", "NOAUTH"},
		{"tls-client-on-plaintext-port", secUser, secUserPass, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tlsCfg *tls.Config
			if c.want == "" {
				tlsCfg = &tls.Config{InsecureSkipVerify: true}
			}
			err, took := openErr(t, secureOption(srv.Addr, c.user, c.pass, tlsCfg))
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
		})
	}
}

// roundTrip opens a store with opt and sets, gets, lists and deletes.
func roundTrip(t *testing.T, opt rueidis.ClientOption) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.Open(ctx, opt, uniqueName(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if err := s.Set(ctx, "k", []byte("v"), kv.WithTTL(time.Minute)); err != nil {
		t.Fatalf("set: %v", err)
	}
	got, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff([]byte("v"), got); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
	keys, err := kv.Collect(s.Keys(ctx))
	if err != nil || !cmp.Equal(keys, []string{"k"}) {
		t.Errorf("keys = %q, %v", keys, err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Errorf("clear: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("get after clear: %v, want kv.ErrNotFound", err)
	}
}

// openErr opens a store with opt under a 5 s deadline and wants an error,
// within the deadline, that holds no password.
func openErr(t *testing.T, opt rueidis.ClientOption) (error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	s, err := redis.Open(ctx, opt, uniqueName(t))
	took := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("open succeeded, want an error")
	}
	if took > 5*time.Second {
		t.Errorf("open took %v", took)
	}
	for _, p := range []string{secUserPass, secDefault} {
		if strings.Contains(err.Error(), p) {
			t.Errorf("error holds a password: %v", err)
		}
	}
	return err, took
}
