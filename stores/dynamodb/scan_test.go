package dynamodb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/kvkit/kv"
	ddbstore "github.com/kvkit/kv/stores/dynamodb"
)

// sentItems is an HTTP transport that counts the items DynamoDB sends in
// Scan replies (their Count, after the filter) and the BatchGetItem
// requests, which is how chunks are read, and the requests of every
// operation.
type sentItems struct {
	mu        sync.Mutex
	scanned   int
	batchGets int
	requests  map[string]int
}

func (c *sentItems) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	c.mu.Lock()
	if c.requests == nil {
		c.requests = map[string]int{}
	}
	c.requests[op]++
	c.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || (op != "Scan" && op != "BatchGetItem") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var reply struct{ Count int }
	_ = json.Unmarshal(body, &reply)
	c.mu.Lock()
	defer c.mu.Unlock()
	if op == "Scan" {
		c.scanned += reply.Count
	} else {
		c.batchGets++
	}
	return resp, nil
}

// takeRequests returns the requests counted per operation and resets
// them.
func (c *sentItems) takeRequests() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.requests
	c.requests = nil
	return r
}

// take returns the counts and resets them.
func (c *sentItems) take() (items, batchGets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	items, batchGets = c.scanned, c.batchGets
	c.scanned, c.batchGets = 0, 0
	return items, batchGets
}

// TestScanKeysSendsMatchesOnly checks that ScanKeys and Scan yield the
// live keys with the prefix, inline, hashed and chunked ones, never a
// chunk item; that DynamoDB sends only the matching items (a filter of
// Keys in the process, the fallback, receives all of them); and that Scan
// reads the chunks of the matching large value only.
func TestScanKeysSendsMatchesOnly(t *testing.T) {
	s, sent := newCountingStore(t)
	ctx := t.Context()
	big := bytes.Repeat([]byte("b"), 500<<10) // chunked
	long := "ns:" + strings.Repeat("l", ddbstore.MaxInlineKeySize)
	values := map[string][]byte{
		"ns:a": []byte("1"), "ns:b": []byte("2"), long: []byte("3"), "ns:big": big,
		"other": []byte("4"), "x" + long: []byte("5"), "other:big": big, "n": []byte("6"),
	}
	if err := kv.SetMany(ctx, kv.Store[string, []byte](s), entriesOf(values)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "ns:gone", []byte("x"), kv.WithExpiresAt(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	want := []string{"ns:a", "ns:b", "ns:big", long}
	slices.Sort(want)
	sent.take()

	wantKeys(t, "ScanKeys(ns:)", s.ScanKeys(ctx, "ns:"), want)
	if items, gets := sent.take(); items != len(want) || gets != 0 {
		t.Errorf("ScanKeys(ns:) received %d items and made %d BatchGetItem calls, want %d and 0", items, gets, len(want))
	}

	scanned := kv.MapSeq(s.Scan(ctx, "ns:"), func(e kv.Entry[string, []byte]) (string, bool, error) {
		if !bytes.Equal(e.Value, values[e.Key]) {
			t.Errorf("Scan(ns:): %q holds %d bytes, want %d", e.Key, len(e.Value), len(values[e.Key]))
		}
		return e.Key, false, nil
	})
	wantKeys(t, "Scan(ns:)", scanned, want)
	if items, gets := sent.take(); items != len(want) || gets != 1 {
		t.Errorf("Scan(ns:) received %d items and made %d BatchGetItem calls, want %d and 1 (ns:big's chunks)", items, gets, len(want))
	}

	// The fallback, Keys filtered in the process, receives every entry.
	if _, err := kv.Collect(kv.ScanKeys(ctx, kv.Store[string, []byte](struct{ kv.Store[string, []byte] }{s}), "ns:")); err != nil {
		t.Fatal(err)
	}
	if items, _ := sent.take(); items != len(values) {
		t.Errorf("Keys received %d items, want all %d live entries (the count sees the items sent)", items, len(values))
	}
}

// countingClient returns a client of the test server whose Scan and
// BatchGetItem replies sent counts.
func countingClient(t *testing.T, sent *sentItems) *dynamodb.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		append(localConfig(), config.WithRegion("us-east-1"), config.WithLogger(logging.Nop{}))...)
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint(t)
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(ep)
		o.HTTPClient = &http.Client{Transport: sent}
	})
}

// entriesOf returns values as entries without expiry.
func entriesOf(values map[string][]byte) []kv.Entry[string, []byte] {
	var out []kv.Entry[string, []byte]
	for k, v := range values {
		out = append(out, kv.Entry[string, []byte]{Key: k, Value: v})
	}
	return out
}

// wantKeys checks that seq yields no error and the keys of want (sorted),
// in any order.
func wantKeys(t *testing.T, what string, seq iter.Seq2[string, error], want []string) {
	t.Helper()
	got, err := kv.Collect(seq)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// newCountingStore opens a store on a new table whose client counts the
// items each request sends back; the store is closed when t ends.
func newCountingStore(t *testing.T) (*ddbstore.Store, *sentItems) {
	t.Helper()
	sent := new(sentItems)
	s, err := ddbstore.New(countingClient(t, sent), newTable(t, testClient(t)), ddbstore.WithCreateTable(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, sent
}
