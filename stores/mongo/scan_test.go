package mongo_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

// replies counts the documents the server sends in the replies of find
// and getMore, and those among them that hold a value ("v").
type replies struct {
	mu         sync.Mutex
	docs, vals int
}

func (r *replies) succeeded(_ context.Context, e *event.CommandSucceededEvent) {
	if e.CommandName != "find" && e.CommandName != "getMore" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, batch := range []string{"firstBatch", "nextBatch"} {
		docs, err := e.Reply.LookupErr("cursor", batch)
		if err != nil {
			continue
		}
		vals, _ := docs.Array().Values()
		for _, v := range vals {
			r.docs++
			if _, err := v.Document().LookupErr("v"); err == nil {
				r.vals++
			}
		}
	}
}

// take returns the counts and resets them.
func (r *replies) take() (docs, vals int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	docs, vals = r.docs, r.vals
	r.docs, r.vals = 0, 0
	return docs, vals
}

// monitoredStore returns a store on a client whose find replies r counts.
func monitoredStore(t *testing.T, r *replies) *mongostore.Store {
	t.Helper()
	opts := options.Client().ApplyURI(serverURI(t)).SetMonitor(&event.CommandMonitor{Succeeded: r.succeeded})
	client, err := mongo.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	s, err := mongostore.New(client, testDB, mongostore.WithCollection(newCollection(t, client)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestScanKeysReadsTheRangeOnly checks that ScanKeys and Scan yield the
// live keys with the prefix, hashed ones too, and that the server sends
// only the documents of the prefix's _id range and the hashed ones, with
// no value for ScanKeys. A filter of Keys or All in the process (the
// fallback when the store has no scan of its own) receives every
// document.
func TestScanKeysReadsTheRangeOnly(t *testing.T) {
	var r replies
	s := monitoredStore(t, &r)
	ctx := t.Context()
	long := "ns:" + strings.Repeat("l", mongostore.MaxPlainKeySize)
	for _, k := range []string{"ns:a", "ns:b", "ns:\x00bin", long, "ns", "nt:a", "other", "\x00other"} {
		if err := s.Set(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if err := s.Set(ctx, "z"+strings.Repeat("x", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "ns:gone", []byte("x"), kv.WithExpiresAt(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	want := []string{"ns:\x00bin", "ns:a", "ns:b", long}
	r.take()

	wantKeys(t, "ScanKeys(ns:)", s.ScanKeys(ctx, "ns:"), want)
	// ns:a and ns:b from the range; the three hashed keys (two of them
	// outside the prefix) from the binary _ids. The expired one is
	// filtered by the server.
	if docs, vals := r.take(); docs != 5 || vals != 0 {
		t.Errorf("ScanKeys(ns:) received %d documents, %d of them with a value; want 5 and 0", docs, vals)
	}

	scanned := kv.MapSeq(s.Scan(ctx, "ns:"), func(e kv.Entry[string, []byte]) (string, bool, error) {
		if string(e.Value) != "v-"+e.Key {
			t.Errorf("Scan(ns:): %q holds %q", e.Key, e.Value)
		}
		return e.Key, false, nil
	})
	wantKeys(t, "Scan(ns:)", scanned, want)
	if docs, _ := r.take(); docs != 5 {
		t.Errorf("Scan(ns:) received %d documents, want 5", docs)
	}

	// The fallback: Keys filtered in the process.
	if _, err := kv.Collect(kv.ScanKeys(ctx, kv.Store[string, []byte](struct{ kv.Store[string, []byte] }{s}), "ns:")); err != nil {
		t.Fatal(err)
	}
	if docs, _ := r.take(); docs != 28 {
		t.Errorf("Keys received %d documents, want all 28 live ones (the count sees the documents sent)", docs)
	}
}

// TestScanKeysRanges checks the assumption of the range: that a
// collection created by the store compares strings byte by byte. The
// keys differ in case and accents, which a collation other than the
// simple one orders otherwise, and some prefixes end inside a rune.
func TestScanKeysRanges(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	keys := []string{"B", "a", "É", "e", "f", "é", "Z", "\u00ff", "\U0001f600", "\ue000", "\ud7ff"}
	for _, k := range keys {
		if err := s.Set(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"", "a", "é", "\xc3", "\xf0\x9f", "\xed"} {
		var want []string
		for _, k := range keys {
			if strings.HasPrefix(k, p) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		wantKeys(t, fmt.Sprintf("ScanKeys(%q)", p), s.ScanKeys(ctx, p), want)
	}
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
