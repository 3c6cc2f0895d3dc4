package faulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testenv"
	"github.com/kvkit/kv/stores/badger"
	"github.com/kvkit/kv/stores/file"
	"github.com/kvkit/kv/stores/memory"
	"github.com/kvkit/kv/stores/redis"
	"github.com/kvkit/kv/stores/sqlite"
	"github.com/redis/rueidis"
)

// ServerEnv returns the environment variable's value. When it is missing
// the test is skipped with a message naming it, or fails when CI is set.
func ServerEnv(t testing.TB, name string) string {
	t.Helper()
	return testenv.Server(t, name)
}

// Instance is one open byte store of a Backend.
type Instance struct {
	Store kv.Store[string, []byte]
	// Dump returns every byte the backend holds for the store, as it is
	// kept: the files of a directory or database, the raw strings of a
	// Redis prefix, every key and value of a memory store.
	Dump func(t testing.TB) []byte
	// Dir is the directory the backend keeps its files in ("" for
	// server and memory backends).
	Dir string
}

// Backend makes fresh instances of one byte-level backend.
type Backend struct {
	Name string
	// New opens a fresh, empty store; t.Cleanup closes it. Backends that
	// need a server skip (or fail under CI) when its variable is unset.
	New func(t testing.TB) Instance
}

var names atomic.Int64

// UniqueName returns a name no other store of this process uses.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano(), names.Add(1))
}

// Backends lists memory, file, sqlite and badger, and redis (which needs
// KV_TEST_REDIS_ADDR).
func Backends() []Backend {
	return []Backend{
		{"memory", func(t testing.TB) Instance {
			s := memory.New[string, []byte]()
			t.Cleanup(func() { s.Close() })
			return Instance{Store: s, Dump: func(t testing.TB) []byte { return dumpStore(t, s) }}
		}},
		{"file", func(t testing.TB) Instance {
			dir := t.TempDir()
			s, err := file.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return Instance{Store: s, Dump: func(t testing.TB) []byte { return DumpDir(t, dir) }, Dir: dir}
		}},
		{"sqlite", func(t testing.TB) Instance {
			dir := t.TempDir()
			s, err := sqlite.Open(filepath.Join(dir, "cache.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return Instance{Store: s, Dump: func(t testing.TB) []byte { return DumpDir(t, dir) }, Dir: dir}
		}},
		{"badger", func(t testing.TB) Instance {
			dir := t.TempDir()
			// Smaller tables than badger's defaults only make opening
			// quicker.
			s, err := badger.Open(dir, badger.WithBadgerOptions(func(o bdg.Options) bdg.Options {
				return o.WithMemTableSize(4 << 20).WithValueLogFileSize(4 << 20).WithValueThreshold(256 << 10)
			}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return Instance{Store: s, Dump: func(t testing.TB) []byte { return DumpDir(t, dir) }, Dir: dir}
		}},
		{"redis", func(t testing.TB) Instance {
			addr := ServerEnv(t, "KV_TEST_REDIS_ADDR")
			client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(client.Close)
			s, err := redis.New(client, UniqueName("faulttest"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				s.Clear(ctx)
				s.Close()
			})
			return Instance{Store: s, Dump: func(t testing.TB) []byte { return DumpRedis(t, client, s.Prefix()) }}
		}},
	}
}

// dumpStore concatenates every key and value of s.
func dumpStore(t testing.TB, s kv.Store[string, []byte]) []byte {
	t.Helper()
	var b bytes.Buffer
	for e, err := range s.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Key)
		b.WriteByte(0)
		b.Write(e.Value)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// DumpDir concatenates the names and contents of every file under dir.
func DumpDir(t testing.TB, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p)
		b.WriteByte(0)
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
			b.WriteByte(0)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// DumpRedis returns every key under prefix and its raw string value, read
// with SCAN and GET.
func DumpRedis(t testing.TB, client rueidis.Client, prefix string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b bytes.Buffer
	cursor := uint64(0)
	for {
		e, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			v, err := client.Do(ctx, client.B().Get().Key(k).Build()).AsBytes()
			if err != nil && !rueidis.IsRedisNil(err) {
				t.Fatal(err)
			}
			b.WriteString(k)
			b.WriteByte(0)
			b.Write(v)
			b.WriteByte(0)
		}
		if e.Cursor == 0 {
			return b.Bytes()
		}
		cursor = e.Cursor
	}
}

// RoundTrip writes a few entries through s, checks that All lists exactly
// them, deletes one and checks that Get misses it: enough to show that a
// connection (over TLS, with credentials) carries every kind of call.
// s must start empty.
func RoundTrip(ctx context.Context, t testing.TB, s kv.Store[string, []byte]) {
	t.Helper()
	want := map[string]string{"a": "1", "b/x": "2", "c": "3"}
	for k, v := range want {
		if err := s.Set(ctx, k, []byte(v)); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
	}
	got := map[string]string{}
	for e, err := range s.All(ctx) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		got[e.Key] = string(e.Value)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("All (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want kv.ErrNotFound", err)
	}
}
