package stores_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores"
)

const (
	envTrustedURL = "KV_STORES_TEST_TRUSTED_URL"
	urlUser       = "kvapp"
	urlPass       = "url-secret-41d7"
)

// TestOpenRedisTLSSecurity opens rediss:// URLs against a redis-server of
// the test's own that listens with TLS only and requires an ACL user.
// rueidis.ParseURL cannot take a CA file, so a URL either trusts the
// system's roots (here SSL_CERT_FILE, in a child process, since Go reads
// the system roots once per process) or turns verification off with
// skip_verify=true. No error prints the password.
func TestOpenRedisTLSSecurity(t *testing.T) {
	if u := os.Getenv(envTrustedURL); u != "" {
		// The child: SSL_CERT_FILE names the test's CA.
		openURL(t, u, true)
		return
	}
	files := faulttest.NewTLSFiles(t)
	srv := faulttest.StartSecureRedis(t, faulttest.SecureRedisConfig{User: urlUser, UserPassword: urlPass, Password: "default-" + urlPass, TLS: files})
	base := "rediss://" + urlUser + ":" + urlPass + "@" + srv.Addr
	for _, c := range []struct {
		name, url string
		ok        bool
		want      string
	}{
		{"skip-verify", base + "?prefix=x&skip_verify=true", true, ""},
		{"untrusted-ca", base + "?prefix=x", false, "certificate signed by unknown authority"},
		{"wrong-password", "rediss://" + urlUser + ":wrong-" + urlPass + "@" + srv.Addr + "?prefix=x&skip_verify=true", false, "WRONGPASS"},
		{"plaintext-url", "redis://" + urlUser + ":" + urlPass + "@" + srv.Addr + "?prefix=x", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := openURL(t, c.url, c.ok)
			if err != nil && !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	t.Run("trusted-ca", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenRedisTLSSecurity$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+files.CACert, "SSL_CERT_DIR="+t.TempDir(), envTrustedURL+"="+base+"?prefix=x")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "opened "+stores.Redact(base)) {
			t.Fatalf("child process with SSL_CERT_FILE: %v\n%s", err, out)
		}
	})
}

// openURL opens u within 5 s; with ok it wants a working store, else an
// error, which must not hold the password.
func openURL(t *testing.T, u string, ok bool) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	s, err := stores.Open(ctx, u)
	took := time.Since(start)
	if took > 5*time.Second {
		t.Errorf("open took %v", took)
	}
	if !ok {
		if err == nil {
			s.Close()
			t.Fatalf("open %s succeeded, want an error", stores.Redact(u))
		}
		if strings.Contains(err.Error(), urlPass) || strings.Contains(err.Error(), url.QueryEscape(urlPass)) {
			t.Errorf("error holds the password: %v", err)
		}
		t.Logf("%v after %v", err, took.Round(time.Millisecond))
		return err
	}
	if err != nil {
		t.Fatalf("open %s: %v", stores.Redact(u), err)
	}
	defer s.Close()
	roundTrip(t, s)
	fmt.Printf("opened %s\n", stores.Redact(strings.SplitN(u, "?", 2)[0]))
	return nil
}
