package dynamodb_test

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
	"github.com/google/go-cmp/cmp"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/testenv"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

const endpointVar = "KV_TEST_DYNAMODB_ENDPOINT"

// endpoint returns the DynamoDB endpoint the tests use, skipping (or,
// under CI, failing) when none is configured.
func endpoint(t testing.TB) string {
	t.Helper()
	return testenv.Server(t, endpointVar)
}

// localConfig is what the tests pass to the AWS SDK: DynamoDB Local takes
// any static credentials.
func localConfig() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("kvtest", "kvtest", "")),
	}
}

func testClient(t testing.TB) *dynamodb.Client {
	t.Helper()
	ep := endpoint(t)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		append(localConfig(), config.WithRegion("us-east-1"), config.WithLogger(logging.Nop{}))...)
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
}

var tableSeq atomic.Int64

// newTable returns the name of a table no other test uses, deleted when
// the test ends.
func newTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("kvtest-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), tableSeq.Add(1))
	t.Cleanup(func() {
		_, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

func newStore(t testing.TB, opts ...ddbstore.Option) (*ddbstore.Store, *dynamodb.Client) {
	t.Helper()
	client := testClient(t)
	s, err := ddbstore.New(client, newTable(t, client), append([]ddbstore.Option{ddbstore.WithCreateTable(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, client
}

// rawCount counts every item of table, chunks and expired items included.
func rawCount(t *testing.T, client *dynamodb.Client, table string) int {
	t.Helper()
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName: aws.String(table), Select: types.SelectCount, ConsistentRead: aws.Bool(true),
	})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
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

// TestKeyScheme writes keys of every family of the partition key scheme
// and reads them back, one by one and through Keys and All.
func TestKeyScheme(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	long := strings.Repeat("x", ddbstore.MaxInlineKeySize)
	keys := []string{
		"",
		"\x00",
		"a\x00b",
		"\xff\xfe invalid UTF-8",
		"ünïcødé ✓",
		long,               // the longest inline key
		long + "y",         // the shortest hashed key
		long + "z",         // another hashed key with the same prefix
		"\x01" + long[:32], // looks like a hashed partition key
		strings.Repeat("\xff", ddbstore.MaxKeySize),
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
	}
	wantKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
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
	if err := s.Set(ctx, strings.Repeat("k", ddbstore.MaxKeySize+1), []byte("v")); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set of a key over MaxKeySize: %v, want kv.ErrTooLarge", err)
	}
}

// TestBatchesOverLimits uses more keys than one BatchGetItem (100) and one
// BatchWriteItem (25) call takes.
func TestBatchesOverLimits(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const total = 260
	var entries []kv.Entry[string, []byte]
	want := map[string][]byte{}
	for i := range total {
		k := fmt.Sprintf("key-%03d", i)
		if i%50 == 0 {
			k += strings.Repeat("-long", 300) // hashed
		}
		v := []byte(fmt.Sprint(i))
		entries = append(entries, kv.Entry[string, []byte]{Key: k, Value: v})
		want[k] = v
	}
	// A repeated key: the last entry wins.
	entries = append(entries, kv.Entry[string, []byte]{Key: "key-007", Value: []byte("last")})
	want["key-007"] = []byte("last")
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
	keys = append(keys, "absent", keys[0]) // an absent and a repeated key
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMany differs (-want +got):\n%s", diff)
	}
	del := slices.Clone(keys[:130])
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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestChunkedValues checks values larger than an item: they round trip,
// replacing or deleting them removes their chunks, and values over the
// limit are refused without a write.
func TestChunkedValues(t *testing.T) {
	s, client := newStore(t, ddbstore.WithMaxValueSize(3<<20))
	ctx := context.Background()
	table := s.Table()

	big := randomBytes(1<<20 + 7) // 3 chunks
	if err := s.Set(ctx, "big", big, kv.WithTTL(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, client, table); n != 4 {
		t.Errorf("items after a 3-chunk Set: %d, want 4", n)
	}
	got, err := s.Get(ctx, "big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get big: %d bytes, %v; want %d bytes equal", len(got), err, len(big))
	}
	if n, err := s.Len(ctx); err != nil || n != 1 {
		t.Errorf("Len = %d, %v; want 1 (chunks are not entries)", n, err)
	}
	if diff := cmp.Diff([]string{"big"}, keysOf(t, s)); diff != "" {
		t.Errorf("Keys differ (-want +got):\n%s", diff)
	}
	for e, err := range s.All(ctx) {
		if err != nil || e.Key != "big" || !bytes.Equal(e.Value, big) || e.ExpiresAt.IsZero() {
			t.Errorf("All yielded %q (%d bytes, expires %v), %v", e.Key, len(e.Value), e.ExpiresAt, err)
		}
	}

	// Replace with another chunked value: the old chunks go.
	big2 := randomBytes(2<<20 + 1) // 6 chunks
	if err := s.Set(ctx, "big", big2); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, client, table); n != 7 {
		t.Errorf("items after replacing with 6 chunks: %d, want 7", n)
	}
	got, err = s.Get(ctx, "big")
	if err != nil || !bytes.Equal(got, big2) {
		t.Fatalf("Get big2: %d bytes, %v; want %d bytes equal", len(got), err, len(big2))
	}
	m, err := s.GetMany(ctx, []string{"big"})
	if err != nil || !bytes.Equal(m["big"], big2) {
		t.Errorf("GetMany big2: %d bytes, %v", len(m["big"]), err)
	}

	// Replace by a small value through SetMany: the chunks go too.
	if err := s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "big", Value: []byte("small")}}); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, client, table); n != 1 {
		t.Errorf("items after SetMany of a small value: %d, want 1", n)
	}

	// Delete and DeleteMany remove chunks.
	for _, del := range []func() error{
		func() error { return s.Delete(ctx, "big") },
		func() error { return s.DeleteMany(ctx, []string{"big"}) },
	} {
		if err := s.Set(ctx, "big", big); err != nil {
			t.Fatal(err)
		}
		if err := del(); err != nil {
			t.Fatal(err)
		}
		if n := rawCount(t, client, table); n != 0 {
			t.Errorf("items after deleting a chunked value: %d, want 0", n)
		}
	}

	// Over the limit: refused, nothing written, the old value intact.
	if err := s.Set(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	over := make([]byte, 3<<20+1)
	if err := s.Set(ctx, "big", over); !errors.Is(err, kv.ErrTooLarge) {
		t.Errorf("Set over the limit: %v, want kv.ErrTooLarge", err)
	}
	if n := rawCount(t, client, table); n != 4 {
		t.Errorf("items after a refused Set: %d, want 4", n)
	}
	if got, err := s.Get(ctx, "big"); err != nil || !bytes.Equal(got, big) {
		t.Errorf("Get after a refused Set: %d bytes, %v", len(got), err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, client, table); n != 0 {
		t.Errorf("items after Clear: %d, want 0", n)
	}
}

// TestValueNearItemLimit writes values around the size at which a value
// moves out of its item, with short and long keys.
func TestValueNearItemLimit(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, key := range []string{"short", strings.Repeat("L", 60<<10)} {
		for _, size := range []int{0, 350 << 10, 380<<10 - 1, 380 << 10, 380<<10 + 1, 399 << 10, 400 << 10} {
			v := randomBytes(size)
			if err := s.Set(ctx, key, v); err != nil {
				t.Fatalf("Set %d-byte key, %d-byte value: %v", len(key), size, err)
			}
			got, err := s.Get(ctx, key)
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get %d-byte key, %d-byte value: %d bytes, %v", len(key), size, len(got), err)
			}
		}
	}
}

// TestExpiry checks that expired items DynamoDB has not deleted yet are
// invisible, and that the TTL attribute is in whole seconds, rounded up.
func TestExpiry(t *testing.T) {
	s, client := newStore(t)
	ctx := context.Background()
	exp := time.Now().Add(300 * time.Millisecond)
	if err := s.Set(ctx, "soon", []byte("v"), kv.WithExpiresAt(exp)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "soon2", Value: []byte("v"), ExpiresAt: exp}}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table()),
		Key:       map[string]types.AttributeValue{"k": &types.AttributeValueMemberB{Value: []byte("\x00soon")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ttl, ok := out.Item[ddbstore.TTLAttribute].(*types.AttributeValueMemberN)
	wantTTL := fmt.Sprint(exp.Unix() + 1)
	if !ok || ttl.Value != wantTTL {
		t.Errorf("TTL attribute = %v, want %s", out.Item[ddbstore.TTLAttribute], wantTTL)
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
	if n := rawCount(t, client, s.Table()); n != 2 {
		t.Logf("DynamoDB deleted expired items already (%d left)", n)
	}
}

// TestTwoStoresOneClient checks that stores over two tables of one client
// are isolated and that closing one leaves the client to the other.
func TestTwoStoresOneClient(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	a, err := ddbstore.New(client, newTable(t, client), ddbstore.WithCreateTable(true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ddbstore.New(client, newTable(t, client), ddbstore.WithCreateTable(true))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Set(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "k", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "only-b", []byte("b")); err != nil {
		t.Fatal(err)
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

// TestOpen builds a store with its own client from the AWS config chain.
func TestOpen(t *testing.T) {
	ep := endpoint(t)
	client := testClient(t)
	table := newTable(t, client)
	ctx := context.Background()
	s, err := ddbstore.Open(ctx, table,
		ddbstore.WithEndpoint(ep), ddbstore.WithRegion("us-east-1"),
		ddbstore.WithAWSConfigOptions(localConfig()...), ddbstore.WithCreateTable(true))
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
	// The data is in the table for a store over the test's client.
	s2, err := ddbstore.New(client, table)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("Get through another client = %q, %v", v, err)
	}

	if _, err := ddbstore.Open(ctx, "kvtest-absent", ddbstore.WithEndpoint(ep), ddbstore.WithRegion("us-east-1"),
		ddbstore.WithAWSConfigOptions(localConfig()...), ddbstore.WithEnableTTL(true)); err == nil {
		t.Error("Open of an absent table with WithEnableTTL and no WithCreateTable: no error")
	}
}

// TestWrongSchema refuses a table whose key is not a binary "k".
func TestWrongSchema(t *testing.T) {
	client := testClient(t)
	table := newTable(t, client)
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("k"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ddbstore.New(client, table, ddbstore.WithCreateTable(true)); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("New over a table with a string key: %v, want an error about the key type", err)
	}
}

// TestCancelled checks that a cancelled context writes nothing.
func TestCancelled(t *testing.T) {
	s, client := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Set":        s.Set(ctx, "k", []byte("v")),
		"SetMany":    s.SetMany(ctx, []kv.Entry[string, []byte]{{Key: "k", Value: []byte("v")}}),
		"Set large":  s.Set(ctx, "k", make([]byte, 1<<20)),
		"Delete":     s.Delete(ctx, "k"),
		"Clear":      s.Clear(ctx),
		"DeleteMany": s.DeleteMany(ctx, []string{"k"}),
	}
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
	if n := rawCount(t, client, s.Table()); n != 0 {
		t.Errorf("%d items written with a cancelled context", n)
	}
}

// TestErrorsNameBackendAndKey checks the shape of error messages.
func TestErrorsNameBackendAndKey(t *testing.T) {
	s, _ := newStore(t)
	_, err := s.Get(context.Background(), "missing")
	if !errors.Is(err, kv.ErrNotFound) || err.Error() != `kv/dynamodb: get "missing": kv: not found` {
		t.Errorf("Get of a missing key: %v", err)
	}
}

// TestChunkedConcurrent has writers replace one chunked value while
// readers read it: every read is one writer's whole value, and when the
// writers are done no chunk of a replaced value is left.
func TestChunkedConcurrent(t *testing.T) {
	s, client := newStore(t)
	ctx := context.Background()
	const writers, rounds, size = 3, 3, 500 << 10 // 2 chunks each
	value := func(w int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, size) }
	if err := s.Set(ctx, "k", value(0)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds+100)
	for w := range writers {
		wg.Go(func() {
			for range rounds {
				if err := s.Set(ctx, "k", value(w)); err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	var readerWG sync.WaitGroup
	readerWG.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			v, err := s.Get(ctx, "k")
			if err != nil {
				errs <- err
				continue
			}
			if len(v) != size || bytes.Count(v, v[:1]) != size {
				errs <- fmt.Errorf("read a mixed value of %d bytes", len(v))
			}
		}
	})
	wg.Wait()
	close(done)
	readerWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := rawCount(t, client, s.Table()); n != 3 {
		t.Errorf("%d items after concurrent replacing, want 3 (a head and 2 chunks)", n)
	}
}

// TestTimeToLiveEnabled checks that WithCreateTable turns on Time to Live
// on TTLAttribute, or, on a server that cannot, says so in its log.
func TestTimeToLiveEnabled(t *testing.T) {
	client := testClient(t)
	var log bytes.Buffer
	table := newTable(t, client)
	_, err := ddbstore.New(client, table, ddbstore.WithCreateTable(true),
		ddbstore.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err == nil && out.TimeToLiveDescription != nil &&
		aws.ToString(out.TimeToLiveDescription.AttributeName) == ddbstore.TTLAttribute &&
		(out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled ||
			out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return
	}
	if !strings.Contains(log.String(), "Time to Live") {
		t.Fatalf("Time to Live not enabled (%v, %v) and nothing logged", out, err)
	}
	t.Logf("server without Time to Live: %s", log.String())
}
