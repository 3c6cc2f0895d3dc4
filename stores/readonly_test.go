package stores_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores"
	mongodrv "go.mongodb.org/mongo-driver/v2/mongo"
)

// byteStore is the type of store OpenReadOnly returns.
type byteStore = kv.Store[string, []byte]

// roContents is what the read-only tests write through Open and read back
// through OpenReadOnly.
var roContents = map[string]string{"a": "alpha", "b": "beta", "p:1": "one", "p:2": "two"}

// capabilitySet is which optional interfaces of package kv a store has.
type capabilitySet struct {
	getMany, setMany, deleteMany, scan, keyScan, conditional bool
}

func capabilitiesOf(s byteStore) capabilitySet {
	var c capabilitySet
	_, c.getMany = s.(kv.BatchGetter[string, []byte])
	_, c.setMany = s.(kv.BatchSetter[string, []byte])
	_, c.deleteMany = s.(kv.BatchDeleter[string])
	_, c.scan = s.(kv.PrefixScanner[[]byte])
	_, c.keyScan = s.(kv.KeyScanner)
	_, c.conditional = s.(kv.ConditionalWriter[string, []byte])
	return c
}

// fill writes roContents through Open on rawURL and returns the
// capabilities of the store Open gave.
func fill(t *testing.T, rawURL string) capabilitySet {
	t.Helper()
	ctx := context.Background()
	s, err := stores.Open(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(roContents)) {
		if err := s.Set(ctx, k, []byte(roContents[k])); err != nil {
			t.Fatal(err)
		}
	}
	return capabilitiesOf(s)
}

// checkReadOnly opens rawURL, filled by fill, with OpenReadOnly and checks
// that the store has the capabilities want (those of Open), reads
// roContents every way it can, and refuses every write with
// kv.ErrReadOnly, changing nothing.
func checkReadOnly(t *testing.T, rawURL string, want capabilitySet) {
	t.Helper()
	ctx := context.Background()
	s, err := stores.OpenReadOnly(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := capabilitiesOf(s); got != want {
		t.Errorf("OpenReadOnly's store has %+v, Open's %+v", got, want)
	}
	wantReads(t, s)
	for name, err := range writeAttempts(ctx, s) {
		if !errors.Is(err, kv.ErrReadOnly) {
			t.Errorf("%s on a read-only store = %v, want kv.ErrReadOnly", name, err)
		}
	}
	wantReads(t, s)
}

// wantReads checks that s holds exactly roContents, by Get, Has, Len,
// Keys, All and, where s has them, GetMany, Scan and ScanKeys.
func wantReads(t *testing.T, s byteStore) {
	t.Helper()
	ctx := context.Background()
	for k, v := range roContents {
		got, err := s.Get(ctx, k)
		if err != nil || string(got) != v {
			t.Errorf("Get(%q) = %q, %v; want %q", k, got, err, v)
		}
		if ok, err := s.Has(ctx, k); !ok || err != nil {
			t.Errorf("Has(%q) = %v, %v", k, ok, err)
		}
	}
	if n, err := s.Len(ctx); n != len(roContents) || err != nil {
		t.Errorf("Len = %d, %v; want %d", n, err, len(roContents))
	}
	all := map[string]string{}
	for e, err := range s.All(ctx) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		all[e.Key] = string(e.Value)
	}
	if !maps.Equal(all, roContents) {
		t.Errorf("All = %v, want %v", all, roContents)
	}
	keys, err := kv.Collect(s.Keys(ctx))
	if err != nil || len(keys) != len(roContents) {
		t.Errorf("Keys = %v, %v", keys, err)
	}
	if g, ok := s.(kv.BatchGetter[string, []byte]); ok {
		m, err := g.GetMany(ctx, []string{"a", "b", "absent"})
		if err != nil || len(m) != 2 || string(m["a"]) != "alpha" {
			t.Errorf("GetMany = %q, %v", m, err)
		}
	}
	if sc, ok := s.(kv.PrefixScanner[[]byte]); ok {
		n := 0
		for e, err := range sc.Scan(ctx, "p:") {
			if err != nil || string(e.Value) != roContents[e.Key] {
				t.Errorf("Scan: %q=%q, %v", e.Key, e.Value, err)
			}
			n++
		}
		if n != 2 {
			t.Errorf("Scan(p:) gave %d entries, want 2", n)
		}
	}
	if ks, ok := s.(kv.KeyScanner); ok {
		got, err := kv.Collect(ks.ScanKeys(ctx, "p:"))
		if slices.Sort(got); err != nil || !slices.Equal(got, []string{"p:1", "p:2"}) {
			t.Errorf("ScanKeys(p:) = %q, %v", got, err)
		}
	}
}

// writeAttempts tries every write s has, each of which would change what
// it holds, and returns their errors by name.
func writeAttempts(ctx context.Context, s byteStore) map[string]error {
	errs := map[string]error{
		"Set":         s.Set(ctx, "a", []byte("changed")),
		"Set new key": s.Set(ctx, "new", []byte("v"), kv.WithTTL(time.Hour)),
		"Delete":      s.Delete(ctx, "b"),
		"Clear":       s.Clear(ctx),
	}
	if b, ok := s.(kv.BatchSetter[string, []byte]); ok {
		errs["SetMany"] = b.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "a", Value: []byte("changed")}})
	}
	if b, ok := s.(kv.BatchDeleter[string]); ok {
		errs["DeleteMany"] = b.DeleteMany(ctx, []string{"a", "b"})
	}
	if c, ok := s.(kv.ConditionalWriter[string, []byte]); ok {
		_, errs["SetIfAbsent"] = c.SetIfAbsent(ctx, "new", []byte("v"))
		_, errs["CompareAndSwap"] = c.CompareAndSwap(ctx, "a", []byte("alpha"), []byte("changed"))
		_, errs["CompareAndDelete"] = c.CompareAndDelete(ctx, "a", []byte("alpha"))
	}
	if d, ok := s.(interface {
		DeleteExpired(context.Context) (int64, error)
	}); ok {
		_, errs["DeleteExpired"] = d.DeleteExpired(ctx)
	}
	if d, ok := s.(interface {
		DeleteExpired(context.Context) (int, error)
	}); ok {
		_, errs["DeleteExpired"] = d.DeleteExpired(ctx)
	}
	if g, ok := s.(interface{ RunGC(context.Context) error }); ok {
		errs["RunGC"] = g.RunGC(ctx)
	}
	return errs
}

// snapshot returns every file under dir with a digest of its bytes and
// its mode. SQLite's -shm and -wal files are left out: SQLite makes them
// beside a WAL database for any reader (see sqlite.OpenReadOnly).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, "-shm") || strings.HasSuffix(p, "-wal") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		files[p] = fmt.Sprintf("%v %s", fi.Mode(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// wantUnchanged fails when dir differs from before.
func wantUnchanged(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Errorf("the read-only open changed %s:\nbefore %v\nafter  %v", dir, before, after)
	}
}

// TestOpenReadOnlyEmbedded fills a store of each embedded backend through
// Open, then reads it through OpenReadOnly: same contents, same
// capabilities, every write refused with kv.ErrReadOnly, and not one
// byte of the store's files changed.
func TestOpenReadOnlyEmbedded(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"file", "file://%s/files"},
		{"sqlite", "sqlite://%s/cache.db?table=pages"},
		{"badger", "badger://%s/badger?prefix=pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			raw := fmt.Sprintf(tc.url, dir)
			caps := fill(t, raw)
			before := snapshot(t, dir)
			checkReadOnly(t, raw, caps)
			wantUnchanged(t, dir, before)
		})
	}
}

// TestOpenReadOnlyMissing: a read-only open of a path that does not exist
// fails with fs.ErrNotExist, names the URL, and creates nothing, neither
// the store nor a directory on the way to it.
func TestOpenReadOnlyMissing(t *testing.T) {
	for _, scheme := range []string{"file", "sqlite", "badger"} {
		t.Run(scheme, func(t *testing.T) {
			dir := t.TempDir()
			missing := filepath.Join(dir, "typo", "cache")
			raw := scheme + "://" + missing
			s, err := stores.OpenReadOnly(context.Background(), raw)
			if err == nil {
				s.Close()
				t.Fatal("OpenReadOnly of a missing path succeeded")
			}
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), raw) {
				t.Errorf("err = %v, want one wrapping fs.ErrNotExist that names %s", err, raw)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("OpenReadOnly created %v in %s", entries, dir)
			}
		})
	}
}

// TestOpenReadOnlyNotAStore: what exists at the path but is no store of
// the backend is refused and left byte for byte as it was: an empty file
// and a text file for SQLite, an empty directory for badger (a file
// store's directory may be empty: it is an empty store).
func TestOpenReadOnlyNotAStore(t *testing.T) {
	cases := []struct {
		name, scheme string
		content      *string // a file with this content; nil: an empty directory
		notExist     bool    // the error wraps fs.ErrNotExist
	}{
		{"sqlite-empty-file", "sqlite", new(""), true},
		{"sqlite-text-file", "sqlite", new(strings.Repeat("not a database\n", 20)), false},
		{"badger-empty-dir", "badger", nil, true},
		{"sqlite-dir", "sqlite", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "store")
			if tc.content != nil {
				if err := os.WriteFile(p, []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			s, err := stores.OpenReadOnly(context.Background(), tc.scheme+"://"+p)
			if err == nil {
				s.Close()
				t.Fatal("OpenReadOnly succeeded")
			}
			if errors.Is(err, fs.ErrNotExist) != tc.notExist {
				t.Errorf("err = %v; wraps fs.ErrNotExist: %v, want %v", err, !tc.notExist, tc.notExist)
			}
			wantUnchanged(t, dir, before)
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the directory holds %v, want only the store's path", entries)
			}
		})
	}
}

// TestOpenReadOnlyEmptyFileDir: an existing empty directory is an empty
// file store, read as such and left empty.
func TestOpenReadOnlyEmptyFileDir(t *testing.T) {
	dir := t.TempDir()
	s, err := stores.OpenReadOnly(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Len(context.Background()); n != 0 || err != nil {
		t.Fatalf("Len = %d, %v", n, err)
	}
	if err := s.Set(context.Background(), "k", []byte("v")); !errors.Is(err, kv.ErrReadOnly) {
		t.Fatalf("Set = %v, want kv.ErrReadOnly", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the directory holds %v", entries)
	}
}

// TestOpenReadOnlySQLiteMissingTable: a database without the table the
// URL names is fs.ErrNotExist, and the table is not created.
func TestOpenReadOnlySQLiteMissingTable(t *testing.T) {
	dir := t.TempDir()
	fill(t, "sqlite://"+dir+"/cache.db?table=pages")
	before := snapshot(t, dir)
	s, err := stores.OpenReadOnly(context.Background(), "sqlite://"+dir+"/cache.db?table=responses")
	if err == nil {
		s.Close()
		t.Fatal("OpenReadOnly of a missing table succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "responses") {
		t.Errorf("err = %v, want one wrapping fs.ErrNotExist that names the table", err)
	}
	wantUnchanged(t, dir, before)
}

// TestOpenReadOnlyUnwritable reads stores whose files the process may
// read but not write (files 0444, directories 0555): what a read-only
// open is for. Root ignores file modes, so as root the test cannot tell
// this apart from TestOpenReadOnlyEmbedded and is skipped.
func TestOpenReadOnlyUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which writes through any file mode, so nothing here would be unwritable: run the test as another user")
	}
	for _, tc := range []struct{ name, url string }{
		{"file", "file://%s/files"},
		{"sqlite", "sqlite://%s/cache.db?table=pages"},
		{"badger", "badger://%s/badger?prefix=pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			raw := fmt.Sprintf(tc.url, dir)
			caps := fill(t, raw)
			chmodTree(t, dir, 0o444, 0o555)
			t.Cleanup(func() { chmodTree(t, dir, 0o644, 0o755) })
			before := snapshot(t, dir)
			checkReadOnly(t, raw, caps)
			wantUnchanged(t, dir, before)
		})
	}
}

// chmodTree sets the mode of every file and directory under dir,
// directories last on the way down so that the walk can go on.
func chmodTree(t *testing.T, dir string, fileMode, dirMode os.FileMode) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return os.Chmod(p, 0o755) // walkable while we go
		}
		return os.Chmod(p, fileMode)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range slices.Backward(dirs) {
		if err := os.Chmod(d, dirMode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenReadOnlyMemory: a memory URL never names an existing store, so
// a read-only open of one is fs.ErrNotExist; a bad memory URL is still
// ErrInvalidURL.
func TestOpenReadOnlyMemory(t *testing.T) {
	_, err := stores.OpenReadOnly(context.Background(), "memory:")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "memory:") {
		t.Errorf("OpenReadOnly(memory:) = %v, want fs.ErrNotExist naming the URL", err)
	}
	_, err = stores.OpenReadOnly(context.Background(), "memory:?max_entries=x")
	if !errors.Is(err, stores.ErrInvalidURL) {
		t.Errorf("OpenReadOnly(memory:?max_entries=x) = %v, want stores.ErrInvalidURL", err)
	}
}

// TestOpenReadOnlyRedis: a prefix filled through Open reads the same
// through OpenReadOnly, which refuses every write.
func TestOpenReadOnlyRedis(t *testing.T) {
	addr := serverURL(t, "KV_TEST_REDIS_ADDR")
	raw := "redis://" + addr + "/0?prefix=ro-test-" + time.Now().Format("150405.000000")
	checkReadOnly(t, raw, fill(t, raw))
	cleanUp(t, raw)
}

// TestOpenReadOnlyMongo: a collection filled through Open reads the same
// through OpenReadOnly; a missing collection is fs.ErrNotExist and is not
// created.
func TestOpenReadOnlyMongo(t *testing.T) {
	u, err := url.Parse(serverURL(t, "KV_TEST_MONGO_URI"))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/ro_test"
	coll := "c" + time.Now().Format("150405000000")
	u.RawQuery = "collection=" + coll
	checkReadOnly(t, u.String(), fill(t, u.String()))
	cleanUp(t, u.String())

	u.RawQuery = "collection=missing_" + coll
	wantMissing(t, u.String())
	s, err := stores.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.(interface {
		Collection() *mongoCollection
	}).Collection()
	names, err := c.Database().ListCollectionNames(context.Background(), map[string]string{"name": c.Name()})
	if err != nil || len(names) != 0 {
		t.Errorf("after the read-only open, collections named %s: %v, %v", c.Name(), names, err)
	}
}

// TestOpenReadOnlyDynamoDB: a table filled through Open reads the same
// through OpenReadOnly; a missing table is fs.ErrNotExist and is not
// created.
func TestOpenReadOnlyDynamoDB(t *testing.T) {
	endpoint := serverURL(t, "KV_TEST_DYNAMODB_ENDPOINT")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	table := "ro_test_" + time.Now().Format("150405000000")
	params := "?region=us-east-1&endpoint=" + url.QueryEscape(endpoint)
	raw := "dynamodb://" + table + params
	checkReadOnly(t, raw, fill(t, raw+"&create=true"))

	missing := "dynamodb://missing_" + table + params
	wantMissing(t, missing)
	s, err := stores.Open(context.Background(), missing) // does no I/O without create=true
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := s.(interface{ Client() *awsdynamodb.Client }).Client()
	_, err = client.DescribeTable(context.Background(), &awsdynamodb.DescribeTableInput{TableName: aws.String("missing_" + table)})
	var nf *dynamotypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeTable after the read-only open = %v, want ResourceNotFoundException", err)
	}
}

// TestOpenReadOnlyPostgres: a table filled through Open reads the same
// through OpenReadOnly, whose connections the server itself holds to
// read-only transactions; a missing table is fs.ErrNotExist and is not
// created.
func TestOpenReadOnlyPostgres(t *testing.T) {
	u, err := url.Parse(serverURL(t, "KV_TEST_POSTGRES_URL"))
	if err != nil {
		t.Fatal(err)
	}
	table := "ro_test_" + time.Now().Format("150405000000")
	q := u.Query()
	q.Set("table", table)
	q.Set("janitor_interval", "0")
	u.RawQuery = q.Encode()
	raw := u.String()
	checkReadOnly(t, raw, fill(t, raw))

	s, err := stores.OpenReadOnly(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var setting string
	if err := poolOf(s).QueryRow(context.Background(), "SHOW default_transaction_read_only").Scan(&setting); err != nil || setting != "on" {
		t.Errorf("default_transaction_read_only = %q, %v; want on", setting, err)
	}
	s.Close()
	dropTable(t, raw, table)

	q.Set("table", "missing_"+table)
	u.RawQuery = q.Encode()
	wantMissing(t, u.String())
	q.Set("create_table", "false")
	u.RawQuery = q.Encode()
	if s, err := stores.Open(context.Background(), u.String()); err == nil {
		s.Close()
		t.Error("the read-only open created the table")
	}
}

// wantMissing checks that a read-only open of rawURL fails with
// fs.ErrNotExist and an error that names the URL, redacted.
func wantMissing(t *testing.T, rawURL string) {
	t.Helper()
	s, err := stores.OpenReadOnly(context.Background(), rawURL)
	if err == nil {
		s.Close()
		t.Fatalf("OpenReadOnly(%s) of a missing location succeeded", stores.Redact(rawURL))
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), stores.Redact(rawURL)) {
		t.Errorf("err = %v, want one wrapping fs.ErrNotExist that names %s", err, stores.Redact(rawURL))
	}
}

// cleanUp clears what fill wrote on a server.
func cleanUp(t *testing.T, rawURL string) {
	t.Helper()
	s, err := stores.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Clear(context.Background()); err != nil {
		t.Error(err)
	}
}

// mongoCollection is the type mongo.Store.Collection returns.
type mongoCollection = mongodrv.Collection

// poolOf returns the pool of a postgres store.
func poolOf(s byteStore) *pgxpool.Pool {
	return s.(interface{ Pool() *pgxpool.Pool }).Pool()
}

// dropTable drops a postgres table a test made.
func dropTable(t *testing.T, rawURL, table string) {
	t.Helper()
	s, err := stores.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := poolOf(s).Exec(context.Background(), `DROP TABLE "`+table+`"`); err != nil {
		t.Error(err)
	}
}
