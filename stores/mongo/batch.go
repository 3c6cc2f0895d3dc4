package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// GetMany returns the values of the keys that are present and not
// expired, with one find ({_id: {$in: ...}}) per 1000 keys; absent keys
// are missing from the map.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Err("get many", err)
	}
	ids, seen, err := distinctIDs("get many", keys)
	if err != nil {
		return nil, err
	}
	found := make(map[string][]byte, len(ids))
	for len(ids) > 0 {
		part := ids[:min(inBatch, len(ids))]
		ids = ids[len(part):]
		cur, err := s.coll.Find(ctx, bson.D{{Key: fieldID, Value: bson.D{{Key: "$in", Value: part}}}})
		if err != nil {
			return nil, errs.Err("get many", err)
		}
		err = func() error {
			defer cur.Close(context.WithoutCancel(ctx))
			for cur.Next(ctx) {
				d, err := decode(cur.Current, true)
				if err != nil {
					return err
				}
				if !seen[d.key] || s.now.Expired(d.expiresAt) {
					continue
				}
				found[d.key] = d.value
			}
			return cur.Err()
		}()
		if err != nil {
			return nil, errs.Err("get many", err)
		}
	}
	return found, nil
}

// distinctIDs returns the _id of each distinct key, and the set of keys.
func distinctIDs(op string, keys []string) ([]any, map[string]bool, error) {
	seen := make(map[string]bool, len(keys))
	ids := make([]any, 0, len(keys))
	for _, k := range keys {
		if err := storekit.CheckKeySize(k, MaxKeySize); err != nil {
			return nil, nil, errs.Key(op, k, err)
		}
		if !seen[k] {
			seen[k] = true
			ids = append(ids, docID(k))
		}
	}
	return ids, seen, nil
}

// SetMany stores every entry, each with its own ExpiresAt, in one
// unordered bulk write of upserting replaces (the driver splits it into
// as many commands as the server's message size needs); when a key appears
// more than once the last entry wins. Every key and value is checked
// first: one that is too large fails the call with kv.ErrTooLarge before
// anything is written. On other errors some entries may have been written.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("set many", err)
	}
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		if err := checkSize(e.Key, e.Value); err != nil {
			return errs.Key("set many", e.Key, err)
		}
		last[e.Key] = i
	}
	if len(last) == 0 {
		return nil
	}
	models := make([]mongo.WriteModel, 0, len(last))
	for i, e := range entries {
		if last[e.Key] != i {
			continue
		}
		models = append(models, mongo.NewReplaceOneModel().
			SetFilter(bson.D{{Key: fieldID, Value: docID(e.Key)}}).
			SetReplacement(document(e.Key, e.Value, e.ExpiresAt)).
			SetUpsert(true))
	}
	for attempt := 0; ; attempt++ {
		_, err := s.coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if err == nil {
			return nil
		}
		// Upserts that lost a race to insert their key (see Set) are run
		// again; any other failure is reported.
		retry := lostUpserts(err, models)
		if retry == nil || attempt == maxUpsertAttempts-1 {
			return errs.Err("set many", err)
		}
		models = retry
	}
}

// lostUpserts returns the models of a bulk write that failed with a
// duplicate key error only, or nil when err is anything else.
func lostUpserts(err error, models []mongo.WriteModel) []mongo.WriteModel {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return nil
	}
	var retry []mongo.WriteModel
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 || we.Index < 0 || we.Index >= len(models) {
			return nil
		}
		retry = append(retry, models[we.Index])
	}
	return retry
}

// DeleteMany removes every key, with one delete ({_id: {$in: ...}}) per
// 1000 keys; absent keys are not an error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("delete many", err)
	}
	ids, _, err := distinctIDs("delete many", keys)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		part := ids[:min(inBatch, len(ids))]
		ids = ids[len(part):]
		if _, err := s.coll.DeleteMany(ctx, bson.D{{Key: fieldID, Value: bson.D{{Key: "$in", Value: part}}}}); err != nil {
			return errs.Err("delete many", err)
		}
	}
	return nil
}
