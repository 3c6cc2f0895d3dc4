package mongo_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testenv"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

const uriVar = "KV_TEST_MONGO_URI"

// serverURI returns the MongoDB URI the tests use, skipping (or, under
// CI, failing) when none is configured.
func serverURI(t testing.TB) string {
	t.Helper()
	return testenv.Server(t, uriVar)
}

func testClient(t testing.TB) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(serverURI(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	return client
}

// testDB is the database the tests use; each test has collections of its
// own in it.
const testDB = "kvtest"

var collSeq atomic.Int64

// newCollection returns the name of a collection no other test uses,
// dropped when the test ends.
func newCollection(t testing.TB, client *mongo.Client) string {
	t.Helper()
	name := fmt.Sprintf("kv_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), collSeq.Add(1))
	t.Cleanup(func() {
		if err := client.Database(testDB).Collection(name).Drop(context.Background()); err != nil {
			t.Errorf("drop collection %s: %v", name, err)
		}
	})
	return name
}

func newStore(t testing.TB) (*mongostore.Store, *mongo.Client) {
	t.Helper()
	client := testClient(t)
	s, err := mongostore.New(client, testDB, mongostore.WithCollection(newCollection(t, client)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, client
}

func rawCount(t *testing.T, s *mongostore.Store) int {
	t.Helper()
	n, err := s.Collection().CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func keysOf(t *testing.T, s kv.Store[string, []byte]) []string {
	t.Helper()
	keys, err := kv.Collect(s.Keys(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestKeyScheme writes keys of both _id families and reads them back, one
// by one, in a batch and through Keys and All.
func TestKeyScheme(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	long := strings.Repeat("x", mongostore.MaxPlainKeySize)
	keys := []string{
		"",
		"\x00",
		"a\x00b",
		"\xff\xfe invalid UTF-8",
		"ünïcødé ✓",
		"$dollar.and.dots",
		long,       // the longest plain key
		long + "y", // the shortest hashed key
		long + "z",
		strings.Repeat("\xff", mongostore.MaxKeySize),
	}
	want := map[string][]byte{}
	for i, k := range keys {
		v := []byte(fmt.Sprintf("value %d", i))
		if err := s.Set(ctx, k, v); err != nil {
			t.Fatalf("Set(%d): %v", i, err)
		}
		want[k] = v
	}
	for i, k := range keys {
		got, err := s.Get(ctx, k)
		if err != nil {
			t.Fatalf("Get(%d): %v", i, err)
		}
		if !bytes.Equal(got, want[k]) {
			t.Errorf("Get(%d) = %q, want %q", i, got, want[k])
		}
		if ok, err := s.Has(ctx, k); !ok || err != nil {
			t.Errorf("Has(%d) = %v, %v", i, ok, err)
		}
	}
	wantKeys := slices.Clone(keys)
	slices.Sort(wantKeys)
	if diff := cmp.Diff(wantKeys, keysOf(t, s)); diff != "" {
		t.Errorf("Keys differ (-want +got):\n%s", diff)
	}
	got := map[string][]byte{}
	for e, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got[e.Key] = e.Value
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All differs (-want +got):\n%s", diff)
	}
	many, err := s.GetMany(ctx, append(keys, "absent"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, many); diff != "" {
		t.Errorf("GetMany differs (-want +got):\n%s", diff)
	}
	if err := s.Set(ctx, strings.Repeat("k", mongostore.MaxKeySize+1), []byte("v")); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set of a key over MaxKeySize: %v, want kv.ErrTooLarge", err)
	}
	if n := rawCount(t, s); n != len(keys) {
		t.Errorf("%d documents, want %d", n, len(keys))
	}
}

// TestBatches uses more keys than one $in batch holds, with repeated and
// absent keys.
func TestBatches(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const total = 1100
	var entries []kv.Entry[string, []byte]
	want := map[string][]byte{}
	for i := range total {
		k := fmt.Sprintf("key-%04d", i)
		if i%100 == 0 {
			k += strings.Repeat("-long", 200) // hashed
		}
		v := []byte(fmt.Sprint(i))
		entries = append(entries, kv.Entry[string, []byte]{Key: k, Value: v})
		want[k] = v
	}
	entries = append(entries, kv.Entry[string, []byte]{Key: "key-0007", Value: []byte("last")})
	want["key-0007"] = []byte("last")
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Len(ctx); err != nil || n != total {
		t.Fatalf("Len = %d, %v; want %d", n, err, total)
	}
	keys := make([]string, 0, total+2)
	for k := range want {
		keys = append(keys, k)
	}
	keys = append(keys, "absent", keys[0])
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMany differs (-want +got):\n%s", diff)
	}
	del := slices.Clone(keys[:1050])
	if err := s.DeleteMany(ctx, append(del, "absent", del[0])); err != nil {
		t.Fatal(err)
	}
	for _, k := range del {
		delete(want, k)
	}
	got, err = s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMany after DeleteMany differs (-want +got):\n%s", diff)
	}
	if n, err := s.Len(ctx); err != nil || n != len(want) {
		t.Errorf("Len = %d, %v; want %d", n, err, len(want))
	}
}

// TestLargeValues checks the refusal of values over MaxValueSize and that
// a refused write leaves the old value. (The conformance suite writes 8
// MiB and MaxValueSize values.)
func TestLargeValues(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, size := range []int{0, 1 << 20} {
		v := randomBytes(size)
		if err := s.Set(ctx, "big", v); err != nil {
			t.Fatalf("Set %d bytes: %v", size, err)
		}
		got, err := s.Get(ctx, "big")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get %d bytes: %d bytes, %v", size, len(got), err)
		}
	}
	keep, _ := s.Get(ctx, "big")
	over := make([]byte, mongostore.MaxValueSize+1)
	if err := s.Set(ctx, "big", over); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set over MaxValueSize: %v, want kv.ErrTooLarge", err)
	}
	if err := s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "new", Value: []byte("v")}, {Key: "big", Value: over}}); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("SetMany over MaxValueSize: %v, want kv.ErrTooLarge", err)
	}
	if got, err := s.Get(ctx, "big"); err != nil || !bytes.Equal(got, keep) {
		t.Errorf("Get after refused Sets: %d bytes, %v", len(got), err)
	}
	if n := rawCount(t, s); n != 1 {
		t.Errorf("%d documents after refused Sets, want 1", n)
	}
}

// TestExpiry checks that expired documents the server has not deleted
// are invisible and that the date the TTL index reads is rounded up.
func TestExpiry(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	exp := time.Now().Add(300 * time.Millisecond)
	if err := s.Set(ctx, "soon", []byte("v"), kv.WithExpiresAt(exp)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "soon2", Value: []byte("v"), ExpiresAt: exp}}); err != nil {
		t.Fatal(err)
	}
	doc, err := s.Collection().FindOne(ctx, bson.D{{Key: "_id", Value: "soon"}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	date, ok := doc.Lookup("expiresAt").DateTimeOK()
	if wantMs := (exp.UnixNano() + 999_999) / 1e6; !ok || date != wantMs {
		t.Errorf("expiresAt = %v (%v), want %d ms", date, ok, wantMs)
	}
	for e, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.ExpiresAt.Equal(exp) {
			t.Errorf("All: %s expires at %v, want %v", e.Key, e.ExpiresAt, exp)
		}
	}
	time.Sleep(time.Until(exp))
	if _, err := s.Get(ctx, "soon"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get after expiry: %v, want kv.ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, "soon2"); ok || err != nil {
		t.Errorf("Has after expiry = %v, %v", ok, err)
	}
	if n, err := s.Len(ctx); n != 0 || err != nil {
		t.Errorf("Len after expiry = %d, %v", n, err)
	}
	if keys := keysOf(t, s); len(keys) != 0 {
		t.Errorf("Keys after expiry = %q", keys)
	}
	if m, err := s.GetMany(ctx, []string{"soon", "soon2"}); len(m) != 0 || err != nil {
		t.Errorf("GetMany after expiry = %v, %v", m, err)
	}
}

// TestTTLIndex checks that the store creates the TTL index, or, on a
// server without TTL indexes (FerretDB 1.x), says so in its log.
func TestTTLIndex(t *testing.T) {
	client := testClient(t)
	var log bytes.Buffer
	s, err := mongostore.New(client, testDB, mongostore.WithCollection(newCollection(t, client)),
		mongostore.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	specs, err := s.Collection().Indexes().ListSpecifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range specs {
		if sp.ExpireAfterSeconds != nil && *sp.ExpireAfterSeconds == 0 && strings.Contains(sp.KeysDocument.String(), "expiresAt") {
			return
		}
	}
	if !strings.Contains(log.String(), "TTL index") {
		t.Fatalf("no TTL index on expiresAt (indexes: %v) and nothing logged", specs)
	}
	t.Logf("server without TTL indexes: %s", log.String())
}

// TestTwoStoresOneClient checks that stores over two collections of one
// client are isolated and that closing one leaves the client connected.
func TestTwoStoresOneClient(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	a, err := mongostore.New(client, testDB, mongostore.WithCollection(newCollection(t, client)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := mongostore.New(client, testDB, mongostore.WithCollection(newCollection(t, client)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, set := range []struct {
		s    *mongostore.Store
		k, v string
	}{{a, "k", "a"}, {b, "k", "b"}, {b, "only-b", "b"}} {
		if err := set.s.Set(ctx, set.k, []byte(set.v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get on a closed store: %v, want kv.ErrClosed", err)
	}
	if diff := cmp.Diff([]string{"k", "only-b"}, keysOf(t, b)); diff != "" {
		t.Errorf("Keys of b after Clear and Close of a (-want +got):\n%s", diff)
	}
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "b" {
		t.Errorf("b.Get = %q, %v", v, err)
	}
}

// TestOpen builds a store that owns its client.
func TestOpen(t *testing.T) {
	uri := serverURI(t)
	client := testClient(t)
	coll := newCollection(t, client)
	ctx := context.Background()
	s, err := mongostore.Open(ctx, uri, testDB, mongostore.WithCollection(coll),
		mongostore.WithClientOptions(options.Client().SetAppName("kvtest")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", []byte("v")); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Set after Close: %v, want kv.ErrClosed", err)
	}
	// Close disconnected the store's own client.
	if err := s.Client().Ping(ctx, nil); err == nil {
		t.Error("the client of a closed store still pings")
	}
	s2, err := mongostore.New(client, testDB, mongostore.WithCollection(coll))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("Get through another client = %q, %v", v, err)
	}
}

// TestCancelled checks that a cancelled context writes nothing.
func TestCancelled(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Set":        s.Set(ctx, "k", []byte("v")),
		"SetMany":    s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "k", Value: []byte("v")}}),
		"Delete":     s.Delete(ctx, "k"),
		"Clear":      s.Clear(ctx),
		"DeleteMany": s.DeleteMany(ctx, []string{"k"}),
	}
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
	if n := rawCount(t, s); n != 0 {
		t.Errorf("%d documents written with a cancelled context", n)
	}
}

// TestErrorsNameBackendAndKey checks the shape of error messages.
func TestErrorsNameBackendAndKey(t *testing.T) {
	s, _ := newStore(t)
	_, err := s.Get(context.Background(), "missing")
	if !errors.Is(err, kv.ErrNotFound) || err.Error() != `kv/mongo: get "missing": kv: not found` {
		t.Errorf("Get of a missing key: %v", err)
	}
}

// TestCorruptDocument checks that a document this store did not write is
// kv.ErrCorrupt, and that iteration goes on past it.
func TestCorruptDocument(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "good", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Collection().InsertOne(ctx, bson.D{{Key: "_id", Value: "bad"}, {Key: "v", Value: "a string"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "bad"); !errors.Is(err, kv.ErrCorrupt) {
		t.Errorf("Get of a foreign document: %v, want kv.ErrCorrupt", err)
	}
	var keys []string
	corrupt := 0
	for e, err := range s.All(ctx) {
		if errors.Is(err, kv.ErrCorrupt) {
			corrupt++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, e.Key)
	}
	if corrupt != 1 || !slices.Equal(keys, []string{"good"}) {
		t.Errorf("All: %d corrupt, keys %q; want 1 and [good]", corrupt, keys)
	}
}
