package dynamodb

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/kvkit/kv"
)

// Prefix scans. Partition keys are hashed by DynamoDB, so no request
// reads only the items of a prefix: ScanKeys and Scan are a Scan of the
// whole table, like Keys and All, with a filter that keeps the entries
// whose key starts with the prefix (begins_with on the partition key for
// inline keys, on the stored key for hashed ones). The filter runs on the
// server after it has read every item: the read capacity consumed is that
// of the whole table, but only the matching items are sent, and Scan reads
// the chunks of matching large values only (a filter of All reads every
// one). Chunk items never match: the filter keeps entry items only.

// scope is what a scan lists: every live entry (Keys, All), or those
// whose key starts with prefix (ScanKeys, Scan).
type scope struct {
	prefix string
	scoped bool
}

// The conditions of a scoped filter that keep the entries whose key
// starts with :p: an inline key's partition key starts with :pk (0x00 and
// :p), a hashed key's stored key with :p. A prefix longer than
// MaxInlineKeySize can only start a hashed key.
const (
	inlineMatch = "begins_with(#k, :pk)"
	hashedMatch = "begins_with(#ok, :p)"
)

// input returns the Scan of sc at now; keysOnly projects the key
// attributes and the expiry.
func (sc scope) input(table *string, now time.Time, keysOnly bool) *dynamodb.ScanInput {
	filter := liveFilter
	names := liveNames(nil)
	values := liveValues(now)
	if keysOnly {
		names["#k"], names["#ok"] = attrKey, attrOrig
	}
	if sc.scoped && sc.prefix != "" {
		names["#ok"] = attrOrig
		values[":p"] = b([]byte(sc.prefix))
		match := hashedMatch
		if len(sc.prefix) <= MaxInlineKeySize {
			names["#k"] = attrKey
			values[":pk"] = b(partitionKey(sc.prefix))
			match = "(" + inlineMatch + " OR " + hashedMatch + ")"
		}
		filter += " AND " + match
	}
	in := &dynamodb.ScanInput{
		TableName:                 table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String(filter),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	if keysOnly {
		in.ProjectionExpression = aws.String("#k, #ok, #xn")
	}
	return in
}

// wants reports whether sc lists key (checked on every item, though the
// filter already did).
func (sc scope) wants(key string) bool { return strings.HasPrefix(key, sc.prefix) }

// ScanKeys yields every key that starts with prefix, under the rules of
// Keys: a Scan of the whole table filtered on the server by the prefix and
// projecting the key attributes and the expiry, so no value is sent
// (kv.KeyScanner; a namespace's Keys, Len and Clear). It reads, and
// consumes the read capacity of, every item of the table, as Keys does.
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[string](errs.Err("scan keys", err))
	}
	return s.keys(ctx, "scan keys", scope{prefix: prefix, scoped: true})
}

// Scan yields every entry whose key starts with prefix, under the rules
// of All, from a Scan of the whole table filtered on the server by the
// prefix (kv.PrefixScanner): only the matching items are sent, and only
// their chunks read, but every item of the table is read on the server
// and counts against its read capacity, as for All.
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[kv.Entry[string, []byte]](errs.Err("scan", err))
	}
	return s.entries(ctx, "scan", scope{prefix: prefix, scoped: true})
}
