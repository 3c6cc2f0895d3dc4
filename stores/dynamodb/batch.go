package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// DynamoDB's limits on one batch call.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
)

// Backoff while DynamoDB leaves items unprocessed and makes no progress.
const (
	backoffStart = 20 * time.Millisecond
	backoffMax   = 2 * time.Second
	maxStalls    = 12
)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff tracks the wait between retries of unprocessed items: it grows
// exponentially (with jitter) while calls make no progress and resets when
// they do.
type backoff struct {
	next   time.Duration
	stalls int
}

func (b *backoff) wait(ctx context.Context, progress bool) error {
	if progress {
		b.next, b.stalls = 0, 0
		return nil
	}
	b.stalls++
	if b.stalls > maxStalls {
		return errors.New("DynamoDB left items unprocessed too many times")
	}
	if b.next == 0 {
		b.next = backoffStart
	} else {
		b.next = min(2*b.next, backoffMax)
	}
	return sleep(ctx, b.next/2+rand.N(b.next/2+1))
}

func deleteRequest(pk types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{
		Key: map[string]types.AttributeValue{attrKey: pk},
	}}
}

func putRequest(item map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

// batchWrite runs reqs with BatchWriteItem, at most 25 a call, retrying
// the items DynamoDB leaves unprocessed with backoff. reqs must not hold
// two requests for one key.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	var bo backoff
	var pending []types.WriteRequest
	for len(reqs) > 0 || len(pending) > 0 {
		room := maxBatchWrite - len(pending)
		take := min(room, len(reqs))
		pending = append(pending, reqs[:take]...)
		reqs = reqs[take:]
		out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{*s.table: pending},
		})
		if err != nil {
			return err
		}
		left := out.UnprocessedItems[*s.table]
		if err := bo.wait(ctx, len(left) < len(pending)); err != nil {
			return err
		}
		pending = append(pending[:0:0], left...)
	}
	return nil
}

// batchGet reads the items of pks (distinct) with strongly consistent
// BatchGetItem calls of at most per keys, retrying unprocessed keys with
// backoff. projection, when not empty, names the attributes to read (with
// names giving its placeholders).
func (s *Store) batchGet(ctx context.Context, pks [][]byte, per int, projection string, names map[string]string) ([]map[string]types.AttributeValue, error) {
	var bo backoff
	var items []map[string]types.AttributeValue
	var pending []map[string]types.AttributeValue
	for len(pks) > 0 || len(pending) > 0 {
		take := min(per-len(pending), len(pks))
		for _, pk := range pks[:take] {
			pending = append(pending, map[string]types.AttributeValue{attrKey: b(pk)})
		}
		pks = pks[take:]
		ka := types.KeysAndAttributes{Keys: pending, ConsistentRead: aws.Bool(true)}
		if projection != "" {
			ka.ProjectionExpression = aws.String(projection)
			ka.ExpressionAttributeNames = names
		}
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{*s.table: ka},
		})
		if err != nil {
			return nil, err
		}
		got := out.Responses[*s.table]
		items = append(items, got...)
		var left []map[string]types.AttributeValue
		if u, ok := out.UnprocessedKeys[*s.table]; ok {
			left = u.Keys
		}
		if err := bo.wait(ctx, len(left) < len(pending)); err != nil {
			return nil, err
		}
		pending = append(pending[:0:0], left...)
	}
	return items, nil
}

// GetMany returns the values of the keys that are present and not
// expired, with BatchGetItem calls of up to 100 keys (strongly
// consistent); absent keys are missing from the map.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.life.Begin(ctx); err != nil {
		return nil, errs.Err("get many", err)
	}
	found := make(map[string][]byte, len(keys))
	pks := make([][]byte, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if err := storekit.CheckKeySize(k, MaxKeySize); err != nil {
			return nil, errs.Key("get many", k, err)
		}
		if !seen[k] {
			seen[k] = true
			pks = append(pks, partitionKey(k))
		}
	}
	items, err := s.batchGet(ctx, pks, maxBatchGet, "", nil)
	if err != nil {
		return nil, errs.Err("get many", err)
	}
	now := s.now.Now()
	for _, it := range items {
		h, err := decodeHead(it, true)
		if err != nil {
			return nil, errs.Err("get many", err)
		}
		if !seen[h.key] {
			return nil, errs.Key("get many", h.key, fmt.Errorf("%w: item holds another key", kv.ErrCorrupt))
		}
		if kv.Expired(h.expiresAt, now) {
			continue
		}
		if h.chunks.gen == nil {
			found[h.key] = h.value
			continue
		}
		v, _, err := s.get(ctx, h.key)
		if errors.Is(err, kv.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, errs.Key("get many", h.key, err)
		}
		found[h.key] = v
	}
	return found, nil
}

// chunkedAmong returns the chunks the items of pks point at, for those
// whose value is chunked.
func (s *Store) chunkedAmong(ctx context.Context, pks [][]byte) ([]chunkRef, error) {
	items, err := s.batchGet(ctx, pks, maxBatchGet, "#k, #g, #n, #sz",
		map[string]string{"#k": attrKey, "#g": attrGen, "#n": attrCount, "#sz": attrSize})
	if err != nil {
		return nil, err
	}
	var refs []chunkRef
	for _, it := range items {
		if r := refOf(it); r.gen != nil {
			refs = append(refs, r)
		}
	}
	return refs, nil
}

// SetMany stores every entry, each with its own ExpiresAt; when a key
// appears more than once the last entry wins. Entries that fit in one
// item are written with BatchWriteItem calls of up to 25 items; larger
// ones as Set writes them. Every key and value is checked first: one that
// is too large fails the call with kv.ErrTooLarge before anything is
// written. On other errors some entries may have been written.
//
// Before writing, SetMany reads which of the keys hold chunked values (a
// BatchGetItem projection) so that it can delete their chunks afterwards.
func (s *Store) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("set many", err)
	}
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		if err := s.checkSize(e.Key, e.Value); err != nil {
			return errs.Key("set many", e.Key, err)
		}
		last[e.Key] = i
	}
	var small, large []kv.Entry[string, []byte]
	for i, e := range entries {
		switch {
		case last[e.Key] != i:
		case inline(e.Key, e.Value):
			small = append(small, e)
		default:
			large = append(large, e)
		}
	}
	if len(small) > 0 {
		pks := make([][]byte, len(small))
		reqs := make([]types.WriteRequest, len(small))
		for i, e := range small {
			pks[i] = partitionKey(e.Key)
			reqs[i] = putRequest(headItem(e.Key, e.Value, chunkRef{}, e.ExpiresAt))
		}
		old, err := s.chunkedAmong(ctx, pks)
		if err != nil {
			return errs.Err("set many", err)
		}
		if err := s.batchWrite(ctx, reqs); err != nil {
			return errs.Err("set many", err)
		}
		for _, r := range old {
			if err := s.deleteChunks(ctx, r); err != nil {
				return errs.Err("set many", err)
			}
		}
	}
	for _, e := range large {
		if err := s.set(ctx, e.Key, e.Value, e.ExpiresAt); err != nil {
			return errs.Key("set many", e.Key, err)
		}
	}
	return nil
}

// DeleteMany removes every key (and the chunks of chunked values) with
// BatchWriteItem calls of up to 25 deletes; absent keys are not an error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.life.BeginWrite(ctx); err != nil {
		return errs.Err("delete many", err)
	}
	seen := make(map[string]bool, len(keys))
	var pks [][]byte
	for _, k := range keys {
		if err := storekit.CheckKeySize(k, MaxKeySize); err != nil {
			return errs.Key("delete many", k, err)
		}
		if !seen[k] {
			seen[k] = true
			pks = append(pks, partitionKey(k))
		}
	}
	if len(pks) == 0 {
		return nil
	}
	old, err := s.chunkedAmong(ctx, pks)
	if err != nil {
		return errs.Err("delete many", err)
	}
	reqs := make([]types.WriteRequest, len(pks))
	for i, pk := range pks {
		reqs[i] = deleteRequest(b(pk))
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return errs.Err("delete many", err)
	}
	for _, r := range old {
		if err := s.deleteChunks(ctx, r); err != nil {
			return errs.Err("delete many", err)
		}
	}
	return nil
}
