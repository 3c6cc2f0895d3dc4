package dynamodb

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// Conditional writes (kv.ConditionalWriter). Each ends in one conditional
// PutItem or DeleteItem of the entry's head item, which DynamoDB applies
// atomically, so they hold across clients and processes:
//
//   - SetIfAbsent puts the head with the condition
//     "attribute_not_exists(k) OR xn <= :now": no item, or an expired one.
//   - CompareAndSwap and CompareAndDelete with an old value that fits in
//     one item (with its key) are the write alone, with the comparison in
//     its condition: "v = :old", and the head live at :now. A stored value
//     equal to such an old value is inline too (whether a value is inline
//     depends on its size and its key only), and a chunked head has no
//     "v", so the condition holds exactly when the entry is live and holds
//     old. No read comes first, and a failed condition is the answer.
//   - With a larger old value they read the head first (strongly
//     consistent): the chunks are read and compared with old in the
//     process, and the write is conditional on the head's generation
//     ("g = :g"), which is drawn at random for every write, so the
//     condition holds only while the head is still the one whose value was
//     compared, and on the head being live at :now. When the condition
//     fails (a concurrent write came between the read and the write), the
//     read and the comparison start again, at most maxConditionalAttempts
//     times.
//
// A new chunked value follows the chunk protocol of Set: its chunks are
// written first and only the head makes them visible, so readers never
// see a torn value. The condition names the old head exactly (its
// generation, or for SetIfAbsent the old item DynamoDB returns), so the
// writer that replaced a chunked head is the one that deletes its chunks;
// a writer whose condition failed deletes the chunks it wrote unless a
// read shows the head points at them (an SDK retry after a lost reply can
// report a failed condition for a write that happened).

// condition is a ConditionExpression with its names and values.
type condition struct {
	expr   string
	names  map[string]string
	values map[string]types.AttributeValue
}

// absentCondition holds when there is no item, or an expired one, at now.
func absentCondition(now time.Time) condition {
	return condition{
		expr:   "attribute_not_exists(#k) OR #xn <= :now",
		names:  map[string]string{"#k": attrKey, "#xn": attrExpNs},
		values: map[string]types.AttributeValue{":now": n(now.UnixNano())},
	}
}

// sameCondition holds while the head item is still the one h was decoded
// from (the same inline value, or the same chunk generation) and is live
// at now.
func sameCondition(h head, now time.Time) condition {
	c := condition{
		names:  map[string]string{"#xn": attrExpNs},
		values: map[string]types.AttributeValue{":now": n(now.UnixNano())},
	}
	if h.chunks.gen == nil {
		return valueCondition(h.value, now)
	}
	c.expr = "#g = :g AND " + liveExpr
	c.names["#g"] = attrGen
	c.values[":g"] = b(h.chunks.gen)
	return c
}

// liveExpr holds when the item has no expiry or expires after :now.
const liveExpr = "(attribute_not_exists(#xn) OR #xn > :now)"

// valueCondition holds while the head item holds v inline and is live at
// now.
func valueCondition(v []byte, now time.Time) condition {
	if v == nil {
		v = []byte{}
	}
	return condition{
		expr:   "#v = :v AND " + liveExpr,
		names:  map[string]string{"#v": attrValue, "#xn": attrExpNs},
		values: map[string]types.AttributeValue{":v": b(v), ":now": n(now.UnixNano())},
	}
}

// compareStep is what a compare-and-write does with the head it read.
type compareStep int

const (
	stepNotHeld    compareStep = iota // absent, expired or another value: write nothing
	stepWrite                         // an inline value equal to old: write on that condition
	stepReadChunks                    // a chunked value of old's size: compare its chunks first
)

// decideCompare decides, from the head read (found false: no item) and
// the time now, whether the value can equal old.
func decideCompare(h head, found bool, now time.Time, old []byte) compareStep {
	switch {
	case !found, !h.expiresAt.IsZero() && kv.Expired(h.expiresAt, now):
		return stepNotHeld
	case h.chunks.gen != nil && h.chunks.size == len(old):
		return stepReadChunks
	case h.chunks.gen == nil && bytes.Equal(h.value, old):
		return stepWrite
	default:
		return stepNotHeld
	}
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// conditional checks what every conditional write checks before any
// request: the options are valid, the store open and the sizes within
// limits. It returns the expiry of the value to write.
func (s *Store) conditional(ctx context.Context, key string, value []byte, opts []kv.SetOption) (time.Time, error) {
	o, err := s.now.SetOptions(opts...)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.life.BeginWrite(ctx); err != nil {
		return time.Time{}, err
	}
	return o.ExpiresAt, s.checkSize(key, value)
}

// newHead writes the chunks of value when it needs them and returns its
// head item.
func (s *Store) newHead(ctx context.Context, key string, value []byte, expiresAt time.Time) (map[string]types.AttributeValue, chunkRef, error) {
	var ref chunkRef
	if !inline(key, value) {
		var err error
		if ref, err = s.writeChunks(ctx, value, expiresAt); err != nil {
			return nil, ref, err
		}
	}
	return headItem(key, value, ref, expiresAt), ref, nil
}

// SetIfAbsent stores value under key only when no live entry holds it,
// with one PutItem conditional on the item being absent or expired. The
// chunks of an expired value it replaces are deleted.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, opts ...kv.SetOption) (bool, error) {
	expiresAt, err := s.conditional(ctx, key, value, opts)
	if err != nil {
		return false, errs.Key("setifabsent", key, err)
	}
	item, ref, err := s.newHead(ctx, key, value, expiresAt)
	if err != nil {
		return false, errs.Key("setifabsent", key, err)
	}
	c := absentCondition(s.now.Now())
	out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 s.table,
		Item:                      item,
		ConditionExpression:       &c.expr,
		ExpressionAttributeNames:  c.names,
		ExpressionAttributeValues: c.values,
		ReturnValues:              types.ReturnValueAllOld,
	})
	if err != nil {
		s.dropUnlessHead(ctx, item[attrKey], ref)
		if conditionFailed(err) {
			return false, nil
		}
		return false, errs.Key("setifabsent", key, err)
	}
	s.cleanupReplaced(ctx, refOf(out.Attributes))
	return true, nil
}

// CompareAndSwap replaces the value of key with new, and its expiry with
// the one of opts, when the key is live and its value equals old byte for
// byte: one PutItem conditional on old (or, for an old value too large
// for one item, on the head read first; see the comparison above). An
// absent or expired key is never swapped.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, opts ...kv.SetOption) (bool, error) {
	expiresAt, err := s.conditional(ctx, key, new, opts)
	if err != nil {
		return false, errs.Key("compareandswap", key, err)
	}
	item, ref, err := s.newHead(ctx, key, new, expiresAt)
	if err != nil {
		return false, errs.Key("compareandswap", key, err)
	}
	swapped, err := s.compareAnd(ctx, key, old, func(c condition) error {
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 s.table,
			Item:                      item,
			ConditionExpression:       &c.expr,
			ExpressionAttributeNames:  c.names,
			ExpressionAttributeValues: c.values,
		})
		return err
	})
	if !swapped {
		s.dropUnlessHead(ctx, item[attrKey], ref)
	}
	if err != nil {
		return false, errs.Key("compareandswap", key, err)
	}
	return swapped, nil
}

// CompareAndDelete removes key, and the chunks of its value, when the key
// is live and its value equals old byte for byte: one DeleteItem
// conditional on old (or on the head read first, as CompareAndSwap).
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	if err := s.life.BeginWrite(ctx); err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	pk := map[string]types.AttributeValue{attrKey: b(partitionKey(key))}
	deleted, err := s.compareAnd(ctx, key, old, func(c condition) error {
		_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 s.table,
			Key:                       pk,
			ConditionExpression:       &c.expr,
			ExpressionAttributeNames:  c.names,
			ExpressionAttributeValues: c.values,
		})
		return err
	})
	if err != nil {
		return false, errs.Key("compareanddelete", key, err)
	}
	return deleted, nil
}

// compareAnd runs write when key's head is live and holds old, and
// reports whether it happened. An old value that fits in one item is
// compared by the write's condition alone; a larger one through a read
// (see compareChunked).
func (s *Store) compareAnd(ctx context.Context, key string, old []byte, write func(condition) error) (bool, error) {
	if !inline(key, old) {
		return s.compareChunked(ctx, key, old, write)
	}
	err := write(valueCondition(old, s.now.Now()))
	if conditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// compareChunked runs write, conditional on key's head being the one
// read, when that head holds old; it reads and compares again when a
// concurrent write fails the condition. It reports whether write
// happened, and then deletes the chunks of the value it replaced.
func (s *Store) compareChunked(ctx context.Context, key string, old []byte, write func(condition) error) (bool, error) {
	for range maxConditionalAttempts {
		h, found, err := s.readHead(ctx, key)
		if err != nil {
			return false, err
		}
		now := s.now.Now()
		switch decideCompare(h, found, now, old) {
		case stepNotHeld:
			return false, nil
		case stepReadChunks:
			v, err := s.readChunks(ctx, h.chunks)
			if errors.Is(err, errChunkMissing) {
				continue // replaced while we read it
			}
			if err != nil {
				return false, err
			}
			if !bytes.Equal(v, old) {
				return false, nil
			}
		}
		err = write(sameCondition(h, now))
		if err == nil {
			s.cleanupReplaced(ctx, h.chunks)
			return true, nil
		}
		if !conditionFailed(err) {
			return false, err
		}
	}
	return false, errors.New("too many concurrent writes to the entry")
}

// dropUnlessHead deletes the chunks of ref, written for a head that may
// not have been written, unless the head under pk points at them.
func (s *Store) dropUnlessHead(ctx context.Context, pk types.AttributeValue, ref chunkRef) {
	if ref.gen != nil && !s.headPointsAt(ctx, pk, ref) {
		s.dropChunks(ctx, ref)
	}
}

// cleanupReplaced deletes the chunks of a value a conditional write
// replaced (none when ref is zero). The write has happened, so a failure
// is logged rather than reported: the chunks are left behind unread.
func (s *Store) cleanupReplaced(ctx context.Context, ref chunkRef) {
	if ref.gen == nil {
		return
	}
	if err := s.deleteChunks(ctx, ref); err != nil {
		s.log.Warn("kv/dynamodb: chunks of a replaced value left behind", "table", *s.table, "err", err)
	}
}

var _ kv.ConditionalWriter[string, []byte] = (*Store)(nil)
