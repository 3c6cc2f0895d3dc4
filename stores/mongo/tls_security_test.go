package mongo_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

// tlsURI is a connection string for addr over TLS that trusts ca and
// presents client (a PEM file with certificate and key; "" for none), with
// a short server selection timeout so that a refused connection is an
// error within seconds, never a hang.
func tlsURI(addr, ca, client string) string {
	q := url.Values{"tls": {"true"}, "serverSelectionTimeoutMS": {"5000"}, "connectTimeoutMS": {"5000"}}
	if ca != "" {
		q.Set("tlsCAFile", ca)
	}
	if client != "" {
		q.Set("tlsCertificateKeyFile", client)
	}
	return "mongodb://" + addr + "/?" + q.Encode()
}

// TestTLSClientCertSecurity runs a FerretDB of its own that also listens
// with TLS and requires a client certificate signed by the test's CA
// (x509 authentication at the connection). A client trusting the CA and
// presenting the certificate works, through mongo.Open and stores.Open; a
// client without a certificate, with a certificate of another CA, not
// trusting the server's CA, or speaking plaintext to the TLS port gets an
// error within seconds.
//
// FerretDB 1.x has no user authentication on its SQLite handler, so
// passwords (SCRAM) cannot be checked here; they go in the URI
// (mongodb://user:pass@host/) and are the driver's.
func TestTLSClientCertSecurity(t *testing.T) {
	files := faulttest.NewTLSFiles(t)
	other := faulttest.NewTLSFiles(t) // a CA the server does not trust
	srv := faulttest.StartFerretDBTLS(t, files, true)

	t.Run("ok", func(t *testing.T) {
		for _, c := range []struct {
			name string
			open func(ctx context.Context, coll string) (kv.Store[string, []byte], error)
		}{
			{"mongo.Open", func(ctx context.Context, coll string) (kv.Store[string, []byte], error) {
				return mongostore.Open(ctx, tlsURI(srv.TLSAddr, files.CACert, files.Client), "kvtls", mongostore.WithCollection(coll))
			}},
			{"stores.Open", func(ctx context.Context, coll string) (kv.Store[string, []byte], error) {
				return stores.Open(ctx, tlsURI(srv.TLSAddr, files.CACert, files.Client)+"&collection="+coll)
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				s, err := c.open(ctx, faulttest.UniqueName("tls"))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				faulttest.RoundTrip(ctx, t, s)
			})
		}
	})

	t.Run("refused", func(t *testing.T) {
		// cause is what the error must say, where TLS gives a reason.
		for _, c := range []struct{ name, uri, cause string }{
			{"no-client-certificate", tlsURI(srv.TLSAddr, files.CACert, ""), "certificate required"},
			{"client-certificate-of-another-CA", tlsURI(srv.TLSAddr, files.CACert, other.Client), "unknown certificate authority"},
			{"server-CA-not-trusted", tlsURI(srv.TLSAddr, other.CACert, files.Client), "certificate signed by unknown authority"},
			{"plaintext-to-TLS-port", "mongodb://" + srv.TLSAddr + "/?serverSelectionTimeoutMS=5000&connectTimeoutMS=5000", ""},
			{"TLS-to-plaintext-port", tlsURI(srv.Addr, files.CACert, files.Client), ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				start := time.Now()
				err := openAndSet(ctx, c.uri)
				elapsed := time.Since(start)
				if err == nil {
					t.Fatal("Set succeeded; want an error")
				}
				if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
					t.Fatalf("hung until the test's deadline: %v", err)
				}
				if !strings.Contains(err.Error(), c.cause) {
					t.Errorf("error does not say %q: %v", c.cause, err)
				}
				if elapsed > 20*time.Second {
					t.Errorf("error after %v; want it within two 5s server selections (plus set-up)", elapsed)
				}
				t.Logf("refused in %v: %v", elapsed.Round(time.Millisecond), err)
			})
		}
	})
}

// openAndSet opens a store at uri and writes one entry: the first point
// where the driver must reach the server. Open itself may already fail
// (New creates the TTL index).
func openAndSet(ctx context.Context, uri string) error {
	s, err := mongostore.Open(ctx, uri, "kvtls", mongostore.WithCollection(faulttest.UniqueName("tls")))
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Set(ctx, "k", []byte("v"))
}
