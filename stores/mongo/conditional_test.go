package mongo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kvkit/kv"
	mongostore "github.com/kvkit/kv/stores/mongo"
)

// TestNotConditional checks that the store does not claim
// kv.ConditionalWriter, so kv.Update refuses it instead of emulating it
// with a racy read and write (the reason is TestFilteredUpdateAtomicity).
func TestNotConditional(t *testing.T) {
	s, _ := newStore(t)
	if _, ok := any(s).(kv.ConditionalWriter[string, []byte]); ok {
		t.Fatal("the store claims kv.ConditionalWriter")
	}
	_, err := kv.Update(t.Context(), kv.Store[string, []byte](s), "k", func(old []byte, found bool) ([]byte, error) {
		return []byte("x"), nil
	})
	if !errors.Is(err, kv.ErrUnsupported) {
		t.Fatalf("kv.Update = %v, want kv.ErrUnsupported", err)
	}
}

// ferretDBVersion returns the FerretDB version the server reports in
// buildInfo, "" for a server that is not FerretDB.
func ferretDBVersion(t *testing.T, client *mongo.Client) string {
	t.Helper()
	var info struct {
		FerretDBVersion string `bson:"ferretdbVersion"`
	}
	if err := client.Database("admin").RunCommand(t.Context(), bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info.FerretDBVersion
}

// casCounter increments the counter document {_id: "c", n} by a
// compare-and-swap: a find, then an updateOne filtered on the value
// read. It returns how many of its updates reported a modified document.
func casCounter(ctx context.Context, coll *mongo.Collection, attempts int) (int64, error) {
	var won int64
	for range attempts {
		var doc struct{ N int64 }
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "c"}}).Decode(&doc); err != nil {
			return won, err
		}
		res, err := coll.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: doc.N}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: doc.N + 1}}}})
		if err != nil {
			return won, err
		}
		won += res.ModifiedCount
	}
	return won, nil
}

// TestFilteredUpdateAtomicity is the evidence for the store not being a
// kv.ConditionalWriter. A compare-and-swap over the MongoDB protocol is a
// filtered write (updateOne or findOneAndUpdate on {_id, value: old}, and
// an expired entry's replacement in SetIfAbsent is one too). MongoDB
// applies each atomically to its one document. FerretDB 1.x (1.24 here,
// SQLite handler) runs it as a query for the matching documents and then
// an UPDATE (or DELETE) by _id alone, with nothing holding the document
// in between, so two writers that read the same value both see their
// update applied: one of the two increments is lost.
//
// Writers increment a counter by such swaps; on an atomic server every
// reported swap is one increment, so the counter ends at the number of
// swaps reported. On FerretDB the test requires the counter to end lower
// (updates lost), so that a FerretDB that makes the write atomic fails
// it, and the capability can be offered; on any other server it requires
// them equal.
func TestFilteredUpdateAtomicity(t *testing.T) {
	client := testClient(t)
	coll := client.Database(testDB).Collection(newCollection(t, client))
	ctx := t.Context()
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: int64(0)}}); err != nil {
		t.Fatal(err)
	}
	const writers, attempts = 8, 50
	var won atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			n, err := casCounter(ctx, coll, attempts)
			if err != nil {
				t.Error(err)
			}
			won.Add(n)
		})
	}
	wg.Wait()
	var doc struct{ N int64 }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "c"}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	version := ferretDBVersion(t, client)
	t.Logf("server's ferretdbVersion %q (empty: not FerretDB): %d swaps reported, counter at %d", version, won.Load(), doc.N)
	switch {
	case version != "" && doc.N >= won.Load():
		t.Errorf("FerretDB %s lost no update in %d concurrent swaps: its filtered updates may be atomic now; "+
			"reconsider kv.ConditionalWriter for the mongo store", version, won.Load())
	case version == "" && doc.N != won.Load():
		t.Errorf("%d swaps reported, counter at %d: the server's filtered update is not atomic", won.Load(), doc.N)
	}
}

var _ kv.Store[string, []byte] = (*mongostore.Store)(nil)
