package stores_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores"
)

// roundTrip writes, reads and deletes one entry through s.
func roundTrip(t *testing.T, s kv.Store[string, []byte]) {
	t.Helper()
	ctx := context.Background()
	key := "open-test-" + time.Now().Format("150405.000000000")
	if err := s.Set(ctx, key, []byte("v"), kv.WithTTL(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, key)
	if err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}

func TestOpenEmbedded(t *testing.T) {
	dir := t.TempDir()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	homeDir, err := os.MkdirTemp(home, ".kv-open-test-")
	if err != nil {
		t.Skipf("cannot write under the home directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(homeDir) })
	rel, err := filepath.Rel(home, homeDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		url     string
		created string // a path that must exist after opening
	}{
		{"memory:", ""},
		{"memory:?max_entries=10", ""},
		{"file://" + dir + "/files?max_bytes=1e6&sync=false", dir + "/files"},
		{"file://~/" + rel + "/files", homeDir + "/files"},
		{"sqlite://" + dir + "/db.sqlite?table=pages&_pragma=busy_timeout(5000)", dir + "/db.sqlite"},
		{"sqlite://~/" + rel + "/home.sqlite", homeDir + "/home.sqlite"},
		{"badger://" + dir + "/badger?prefix=pages", dir + "/badger"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			s, err := stores.Open(context.Background(), tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			roundTrip(t, s)
			if tc.created != "" {
				if _, err := os.Stat(tc.created); err != nil {
					t.Fatalf("the store is not where the URL says: %v", err)
				}
			}
		})
	}
}

func TestOpenRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := stores.Open(context.Background(), "file:rel/files")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip(t, s)
	if _, err := os.Stat(filepath.Join(dir, "rel", "files")); err != nil {
		t.Fatalf("file:rel/files did not open under the working directory: %v", err)
	}
}

func TestOpenInvalid(t *testing.T) {
	cases := map[string]string{
		"":                                       "empty",
		"no-scheme":                              "no scheme",
		"ftp://host/x":                           `unknown scheme "ftp"`,
		"memory://host":                          "no host or path",
		"memory:?size=3":                         `unknown parameter "size"`,
		"memory:?max_entries=many":               "not a whole number",
		"file:///tmp/x?max_bytes=-1":             "negative",
		"file:///tmp/x?sync=maybe":               "not true or false",
		"file://otherhost/tmp/x":                 `host "otherhost"`,
		"file://":                                "no path",
		"sqlite:///tmp/x.db?tabel=x":             `unknown parameter "tabel"`,
		"badger:///tmp/x?prefx=a":                `unknown parameter "prefx"`,
		"redis://u:hunter2@host:6379?prefx=a":    `unknown parameter "prefx"`,
		"redis://u:hunter2@host:6379/a/b":        "invalid URL path",
		"redis://u:hunter2@h1:1,h2:2/?prefx=a":   `unknown parameter "prefx"`,
		"dynamodb://?region=x":                   "name the table",
		"dynamodb://t?endpoint=nohost":           "not an absolute URL",
		"dynamodb://t?secret_key=hunter2&x=1":    `unknown parameter`,
		"redis://u:hunter2@host:port-not-number": "invalid port",
		"mongodb://u:hunter2@h/db/extra":         "name one database",
	}
	for raw, want := range cases {
		t.Run(raw, func(t *testing.T) {
			s, err := stores.Open(context.Background(), raw)
			if err == nil {
				s.Close()
				t.Fatal("opened an invalid URL")
			}
			if !errors.Is(err, stores.ErrInvalidURL) {
				t.Fatalf("err = %v, want ErrInvalidURL", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %q, want it to say %q", err, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error prints a credential: %q", err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"redis://user:hunter2@host:6379/0?prefix=a": "redis://user:xxxxx@host:6379/0?prefix=a",
		"mongodb://h/db?password=hunter2&w=1":       "mongodb://h/db?password=xxxxx&w=1",
		"dynamodb://t?aws_secret_access_key=s3cr":   "dynamodb://t?aws_secret_access_key=xxxxx",
		"redis://user@host":                         "redis://user@host",
		"sqlite:///tmp/x.db?table=t":                "sqlite:///tmp/x.db?table=t",
		"redis://u:hunter2@bad host":                "redis:…",
	}
	for in, want := range cases {
		if got := stores.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedact checks that no URL's password survives redaction.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"redis://u:p4ss@h:1/0", "mongodb://a:b@c/d?token=t", "x://:@", "redis://u:hunter2@h1:1,h2:2/?prefix=a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		red := stores.Redact(raw)
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			return
		}
		if p, ok := u.User.Password(); ok && len(p) >= 4 && p != "xxxxx" && strings.Contains(red, p) {
			t.Fatalf("Redact(%q) = %q still holds the password %q", raw, red, p)
		}
	})
}

// serverURL returns the value of an environment variable naming a test
// server, skipping (or failing under CI) when it is not set.
func serverURL(t *testing.T, name string) string {
	t.Helper()
	return testenv.Server(t, name)
}

func TestOpenRedis(t *testing.T) {
	addr := serverURL(t, "KV_TEST_REDIS_ADDR")
	s, err := stores.Open(context.Background(), "redis://"+addr+"/0?prefix=open-test")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip(t, s)
}

func TestOpenRedisCluster(t *testing.T) {
	addrs := serverURL(t, "KV_TEST_REDIS_CLUSTER_ADDRS")
	s, err := stores.Open(context.Background(), "redis://"+addrs+"?prefix=open-test")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip(t, s)
}

func TestOpenDynamoDB(t *testing.T) {
	endpoint := serverURL(t, "KV_TEST_DYNAMODB_ENDPOINT")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	table := "open_test_" + time.Now().Format("150405")
	s, err := stores.Open(context.Background(), "dynamodb://"+table+"?region=us-east-1&create=true&endpoint="+url.QueryEscape(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip(t, s)
}

func TestOpenMongo(t *testing.T) {
	uri := serverURL(t, "KV_TEST_MONGO_URI")
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/open_test"
	u.RawQuery = "collection=c" + time.Now().Format("150405")
	s, err := stores.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip(t, s)
	if err := s.Clear(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenPostgres(t *testing.T) {
	raw := serverURL(t, "KV_TEST_POSTGRES_URL")
	for _, scheme := range []string{"postgres", "postgresql"} {
		t.Run(scheme, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			u.Scheme = scheme
			table := "open_test_" + scheme + time.Now().Format("150405")
			q := u.Query()
			q.Set("table", table)
			q.Set("unlogged", "true")
			q.Set("janitor_interval", "0")
			q.Set("application_name", "kv-open-test")
			u.RawQuery = q.Encode()
			s, err := stores.Open(context.Background(), u.String())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			roundTrip(t, s)
			if err := s.Set(context.Background(), "k", []byte("v")); err != nil {
				t.Fatal(err)
			}
			// The table the URL names holds the entry.
			raw2 := *u
			q.Set("table", table)
			q.Set("create_table", "false")
			raw2.RawQuery = q.Encode()
			s2, err := stores.Open(context.Background(), raw2.String())
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if v, err := s2.Get(context.Background(), "k"); err != nil || string(v) != "v" {
				t.Fatalf("Get through a second URL on the table = %q, %v", v, err)
			}
			p := s.(interface{ Pool() *pgxpool.Pool }).Pool()
			if _, err := p.Exec(context.Background(), `DROP TABLE `+table); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOpenPostgresFailuresSecurity: a wrong password and a refused TLS
// requirement through stores.Open fail with the URL redacted and no
// password anywhere in the error.
func TestOpenPostgresFailuresSecurity(t *testing.T) {
	raw := serverURL(t, "KV_TEST_POSTGRES_URL")
	good, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	realPassword, _ := good.User.Password()
	bad := *good
	bad.User = url.UserPassword(good.User.Username(), "hunter2-wrong")
	tls := *good
	q := tls.Query()
	q.Set("sslmode", "require")
	tls.RawQuery = q.Encode()
	for _, u := range []*url.URL{&bad, &tls} {
		s, err := stores.Open(context.Background(), u.String())
		if err == nil {
			s.Close()
			t.Fatalf("opened %s", u.Redacted())
		}
		if errors.Is(err, stores.ErrInvalidURL) {
			t.Errorf("err = %v: a server's refusal is not an invalid URL", err)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), realPassword) {
			t.Errorf("the error holds a password: %v", err)
		}
		if !strings.Contains(err.Error(), ":xxxxx@") {
			t.Errorf("the error does not name the redacted URL: %v", err)
		}
	}
}

// TestOpenPostgresInvalid: postgres URLs that postgres.OpenURL cannot
// use are ErrInvalidURL, say what is wrong and print no password, before
// anything is dialled.
func TestOpenPostgresInvalid(t *testing.T) {
	cases := map[string]string{
		"postgres://u:hunter2@h/db?unlogged=maybe":                   "not true or false",
		"postgresql://u:hunter2@h/db?max_value_size=-1":              "not a number of bytes",
		"postgres://u:hunter2@h/db?janitor_interval=often":           "not a duration",
		"postgres://u:hunter2@h/db?sslmode=bogus":                    "sslmode",
		"postgres://u:hunter2@h/db?table=" + strings.Repeat("t", 64): "longer than 63",
		"postgres:u:hunter2@h/db":                                    "postgres://host/db",
	}
	for raw, want := range cases {
		t.Run(raw, func(t *testing.T) {
			s, err := stores.Open(context.Background(), raw)
			if err == nil {
				s.Close()
				t.Fatal("opened an invalid URL")
			}
			if !errors.Is(err, stores.ErrInvalidURL) {
				t.Fatalf("err = %v, want ErrInvalidURL", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %q, want it to say %q", err, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error prints a credential: %q", err)
			}
		})
	}
}
