package dynamodb_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/faulttest"
	"github.com/kvkit/kv/stores"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

const (
	tlsKeyID  = "AKIDKVTLSTEST"
	tlsSecret = "tls-secret-5f0c2d9e"
)

// httpsFront is an HTTPS endpoint (certificate signed by a CA made by the
// test) that forwards to DynamoDB Local, which speaks only HTTP, and keeps
// what each request carried in the clear after TLS: its headers and body.
type httpsFront struct {
	URL   string
	files *faulttest.TLSFiles
	mu    sync.Mutex
	seen  [][]byte // header block and body of each request
}

func startHTTPSFront(t *testing.T) *httpsFront {
	t.Helper()
	backend, err := url.Parse(endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &httpsFront{files: faulttest.NewTLSFiles(t)}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec bytes.Buffer
		r.Header.Write(&rec)
		body, err := readAll(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.Write(body)
		f.mu.Lock()
		f.seen = append(f.seen, rec.Bytes())
		f.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	cert, err := tls.LoadX509KeyPair(f.files.Cert, f.files.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the test's own
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// readAll reads r's body and puts it back for the proxy.
func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	if _, err := b.ReadFrom(r.Body); err != nil {
		return nil, err
	}
	r.Body.Close()
	r.Body = http.NoBody
	if b.Len() > 0 {
		r.Body = readCloser{bytes.NewReader(b.Bytes())}
	}
	return b.Bytes(), nil
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (f *httpsFront) requests() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.seen...)
}

// TestHTTPSSecurity puts an HTTPS endpoint with a private CA in front of
// DynamoDB Local (which speaks only HTTP and accepts any signature) and
// checks the client side of TLS and authentication: with the CA trusted
// (through WithAWSConfigOptions and through AWS_CA_BUNDLE with
// stores.Open) a round trip works, every request is signed with SigV4 by
// the given key ID, and the secret key appears in no request; a client
// that does not trust the CA is refused within seconds.
func TestHTTPSSecurity(t *testing.T) {
	front := startHTTPSFront(t)
	creds := config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(tlsKeyID, tlsSecret, ""))

	check := func(t *testing.T, s kv.Store[string, []byte]) {
		t.Helper()
		before := len(front.requests())
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		faulttest.RoundTrip(ctx, t, s)
		reqs := front.requests()[before:]
		if len(reqs) < 3 {
			t.Fatalf("%d requests went through the HTTPS endpoint, want at least 3", len(reqs))
		}
		for i, r := range reqs {
			if !bytes.Contains(r, []byte("Authorization: AWS4-HMAC-SHA256 Credential="+tlsKeyID+"/")) {
				t.Errorf("request %d is not signed with SigV4 by %s:\n%.400s", i, tlsKeyID, r)
			}
			if bytes.Contains(r, []byte(tlsSecret)) {
				t.Errorf("request %d carries the secret key", i)
			}
		}
	}

	t.Run("ok/WithAWSConfigOptions", func(t *testing.T) {
		ca, err := os.ReadFile(front.files.CACert)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ddbstore.Open(t.Context(), newTable(t, testClient(t)),
			ddbstore.WithEndpoint(front.URL), ddbstore.WithRegion("us-east-1"), ddbstore.WithCreateTable(true),
			ddbstore.WithAWSConfigOptions(creds, config.WithCustomCABundle(bytes.NewReader(ca))))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s)
	})

	t.Run("ok/stores.Open-AWS_CA_BUNDLE", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", front.files.CACert)
		t.Setenv("AWS_ACCESS_KEY_ID", tlsKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", tlsSecret)
		t.Setenv("AWS_SESSION_TOKEN", "")
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_CONFIG_FILE", os.DevNull)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
		table := newTable(t, testClient(t))
		s, err := stores.Open(t.Context(), "dynamodb://"+table+"?region=us-east-1&create=true&endpoint="+url.QueryEscape(front.URL))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s)
	})

	t.Run("refused/CA-not-trusted", func(t *testing.T) {
		before := len(front.requests())
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		s, err := ddbstore.Open(ctx, newTable(t, testClient(t)),
			ddbstore.WithEndpoint(front.URL), ddbstore.WithRegion("us-east-1"), ddbstore.WithCreateTable(true),
			ddbstore.WithAWSConfigOptions(creds))
		if err == nil {
			err = s.Set(ctx, "k", []byte("v"))
			s.Close()
		}
		elapsed := time.Since(start)
		if err == nil {
			t.Fatal("a client without the CA reached DynamoDB")
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			t.Fatalf("hung until the test's deadline: %v", err)
		}
		if !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("error does not name the untrusted certificate: %v", err)
		}
		if elapsed > 10*time.Second {
			t.Errorf("refused after %v, want within seconds", elapsed)
		}
		if n := len(front.requests()) - before; n != 0 {
			t.Errorf("%d requests got through the TLS handshake", n)
		}
		t.Logf("refused in %v: %v", elapsed.Round(time.Millisecond), err)
	})
}
