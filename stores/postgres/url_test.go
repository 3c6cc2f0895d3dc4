package postgres

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	yes, no := true, false
	minute, zero := time.Minute, time.Duration(0)
	tests := []struct {
		in      string
		want    urlConfig
		wantErr string
	}{
		{in: "postgres://u:p@h:5432/db", want: urlConfig{dsn: "postgres://u:p@h:5432/db", table: "kv"}},
		{in: "postgresql://h/db?table=pages&sslmode=verify-full&pool_max_conns=4", want: urlConfig{dsn: "postgresql://h/db?pool_max_conns=4&sslmode=verify-full", table: "pages"}},
		{
			in:   "postgres://h/db?table=t&schema=cache&create_table=false&unlogged=true&max_value_size=1048576&janitor_interval=1m",
			want: urlConfig{dsn: "postgres://h/db", table: "t", schema: "cache", createTable: &no, unlogged: true, maxValueSize: 1 << 20, janitor: &minute},
		},
		{in: "postgres://h/db?create_table=1&janitor_interval=0", want: urlConfig{dsn: "postgres://h/db", table: "kv", createTable: &yes, janitor: &zero}},
		{in: "postgres://u:secret@h/db?unlogged=maybe", wantErr: "unlogged"},
		{in: "postgres://u:secret@h/db?max_value_size=2000000000", wantErr: "max_value_size"},
		{in: "postgres://u:secret@h/db?schema=" + strings.Repeat("s", 64), wantErr: "schema name"},
		{in: "postgres://u:secret@h/db?janitor_interval=5", wantErr: "janitor_interval"},
		{in: "mysql://u:secret@h/db", wantErr: "scheme"},
		// Opaque: the userinfo is not a URL's user, whatever the scheme.
		{in: "postgres:u:secret@h/db", wantErr: "postgres://host/db"},
		{in: "mysql:u:secret@h/db", wantErr: "postgres://host/db"},
		// A password given as a parameter is redacted too.
		{in: "postgres://u@h/db?password=secret&unlogged=maybe", wantErr: "unlogged"},
		{in: "postgres://u:secret@h/db?max_value_size=0", wantErr: "max_value_size"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseURL(u)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidURL) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidURL saying %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("the error holds the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(urlConfig{})); diff != "" {
				t.Errorf("parseURL (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpiresArg(t *testing.T) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in    time.Time
		want  time.Time
		valid bool
	}{
		{in: time.Time{}, valid: false},
		{in: base, want: base, valid: true},
		{in: base.Add(1), want: base.Add(time.Microsecond), valid: true}, // rounded up, never early
		{in: base.Add(999 * time.Nanosecond), want: base.Add(time.Microsecond), valid: true},
		{in: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), want: minExpiry, valid: true}, // long past: still expired
		{in: time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), want: maxExpiry, valid: true},
	}
	for _, tt := range tests {
		got := expiresArg(tt.in)
		if got.Valid != tt.valid || !got.Time.Equal(tt.want) {
			t.Errorf("expiresArg(%v) = %v valid %v, want %v valid %v", tt.in, got.Time, got.Valid, tt.want, tt.valid)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"ab\x00", "ab\x01", true},
	}
	for _, tt := range tests {
		got, ok := prefixEnd(tt.in)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPKOf(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		key     string
		pkLen   int
		hasLong bool
	}{
		{"", 0, false},
		{"k", 1, false},
		{strings.Repeat("x", longKey-1), longKey - 1, false},
		{strings.Repeat("x", longKey), longKey, true},
		{long, longKey, true},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		pk, l := pkOf(tt.key)
		if pk == nil || len(pk) != tt.pkLen || (l != nil) != tt.hasLong {
			t.Errorf("pkOf(%d bytes): pk of %d bytes (nil %v), long %v; want %d bytes, long %v", len(tt.key), len(pk), pk == nil, l != nil, tt.pkLen, tt.hasLong)
		}
		if keyOf(pk, l) != tt.key {
			t.Errorf("keyOf(pkOf(%d bytes)) is another key", len(tt.key))
		}
		if tt.hasLong && !strings.HasPrefix(string(pk), tt.key[:keptPrefix]) {
			t.Errorf("the derived key of %d bytes does not start with the key's first %d bytes", len(tt.key), keptPrefix)
		}
		if other, dup := seen[string(pk)]; dup {
			t.Errorf("keys of %d and %d bytes share a primary key", len(other), len(tt.key))
		}
		seen[string(pk)] = tt.key
	}
	if a, _ := pkOf(long + "a"); string(a) == string(mustPK(long+"b")) {
		t.Error("two long keys with the same first 2016 bytes share a primary key")
	}
}

func mustPK(k string) []byte { pk, _ := pkOf(k); return pk }
