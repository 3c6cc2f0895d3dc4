package stores_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvkit/kv/stores"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/dynamodb"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/mongo"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
)

// TestBackendOpenURLInvalid calls each backend's OpenURL directly, as a
// program that imports one backend does: an unusable URL fails before
// anything is opened, with an error that wraps stores.ErrInvalidURL and
// prints no credential.
func TestBackendOpenURLInvalid(t *testing.T) {
	ctx := context.Background()
	open := map[string]func(*url.URL) error{
		"memory":   func(u *url.URL) error { _, err := memory.OpenURL(ctx, u); return err },
		"file":     func(u *url.URL) error { _, err := file.OpenURL(ctx, u); return err },
		"sqlite":   func(u *url.URL) error { _, err := sqlite.OpenURL(ctx, u); return err },
		"badger":   func(u *url.URL) error { _, err := badger.OpenURL(ctx, u); return err },
		"redis":    func(u *url.URL) error { _, err := redis.OpenURL(ctx, u); return err },
		"mongodb":  func(u *url.URL) error { _, err := mongo.OpenURL(ctx, u); return err },
		"dynamodb": func(u *url.URL) error { _, err := dynamodb.OpenURL(ctx, u); return err },
	}
	cases := []string{
		"memory://u:hunter2@host",
		"file://u:hunter2@otherhost/tmp/x",
		"sqlite:///tmp/x.db?tabel=x&password=hunter2",
		"badger:///tmp/x?prefx=a&token=hunter2",
		"redis://u:hunter2@host:6379?prefx=a",
		"mongodb://u:hunter2@h/db/extra",
		"dynamodb://t?secret_key=hunter2",
	}
	for _, raw := range cases {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			err = open[u.Scheme](u)
			if !errors.Is(err, stores.ErrInvalidURL) {
				t.Fatalf("err = %v, want one wrapping stores.ErrInvalidURL", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error prints a credential: %q", err)
			}
		})
	}
}

// TestOpenFailureIsNil checks that a store that fails to open gives a nil
// kv.Store, not an interface holding a nil *Store, and an error that is
// not ErrInvalidURL.
func TestOpenFailureIsNil(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"file://" + notDir + "/x", "badger://" + notDir + "/x", "sqlite://" + notDir + "/x.db"} {
		s, err := stores.Open(context.Background(), raw)
		if err == nil || s != nil {
			t.Fatalf("Open(%q) = %v, %v; want a nil store and an error", raw, s, err)
		}
		if errors.Is(err, stores.ErrInvalidURL) {
			t.Fatalf("Open(%q) = %v: a store that fails to open is not an invalid URL", raw, err)
		}
	}
}

// TestOpenOpaqueNetworkURL checks that a network backend's URL written
// without "//" (scheme:user:pass@host, which url.Parse reads as opaque,
// with no user and no host) is refused as invalid, never dialled at a
// default address, and that its would-be password is printed nowhere.
func TestOpenOpaqueNetworkURL(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []string{"redis", "rediss", "mongodb", "mongodb+srv", "dynamodb", "postgres", "postgresql"} {
		for _, rest := range []string{"u:hunter2@h:1", "hunter2@h", "u:hunter2@h?prefix=a"} {
			raw := scheme + ":" + rest
			t.Run(raw, func(t *testing.T) {
				s, err := stores.Open(ctx, raw)
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded; want an invalid-URL error")
				}
				if !errors.Is(err, stores.ErrInvalidURL) {
					t.Errorf("err = %v, want one wrapping stores.ErrInvalidURL", err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error prints a credential: %q", err)
				}
			})
		}
	}
}
