package mongo

import (
	"context"
	"iter"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kvkit/kv"
)

// Prefix scans. A plain key is its own string _id, and MongoDB compares
// strings byte by byte (the simple collation, which a collection created
// by the store has), so the plain keys that start with a prefix are a
// range of the _id index: lo <= _id < hi. A hashed key's _id says nothing
// of the key, so every document with a binary _id is read too (its _id,
// key and expiry, never its value) and its key compared in the process.
// Hashed keys are the rare ones (longer than MaxPlainKeySize, binary, or
// with a NUL byte); a store full of them pays for reading all their keys
// on every scan.

// idRange is the range of string _ids that can hold a plain key starting
// with some prefix: lo <= _id, and _id < hi when bounded. When none is
// set, no plain key can start with the prefix.
type idRange struct {
	lo, hi  string
	bounded bool
	none    bool
}

// plainRange returns the range of string _ids that holds every plain key
// starting with prefix. It may hold more (when prefix ends in part of a
// UTF-8 sequence, every key starting with the whole runes before it), so
// the keys found are compared with prefix again.
func plainRange(prefix string) idRange {
	if len(prefix) > MaxPlainKeySize || strings.ContainsRune(prefix, 0) {
		return idRange{none: true}
	}
	valid := validPart(prefix)
	if rest := prefix[len(valid):]; rest != "" && utf8.FullRune([]byte(rest)) {
		// An invalid sequence, which no plain key (valid UTF-8) holds.
		return idRange{none: true}
	}
	hi, bounded := successor(valid)
	return idRange{lo: valid, hi: hi, bounded: bounded}
}

// validPart returns the longest start of s that is valid UTF-8.
func validPart(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return s[:i]
		}
		i += size
	}
	return s
}

// successor returns the least valid UTF-8 string greater than every
// string starting with s (a valid UTF-8 string), and false when there is
// none (s is empty or only U+10FFFF).
func successor(s string) (string, bool) {
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if 0xD800 <= r && r <= 0xDFFF { // surrogates are not encodable
			r = 0xE000
		}
		return s + string(r), true
	}
	return "", false
}

// query is what a scan lists: every live document (Keys, All), or those
// whose key starts with prefix (ScanKeys, Scan).
type query struct {
	prefix string
	scoped bool
}

// filter returns the filter of q at now. A scoped one selects the live
// documents that may hold a key starting with the prefix: the plain ones
// of its range and every hashed one.
func (q query) filter(now time.Time) bson.D {
	if !q.scoped {
		return liveFilter(now)
	}
	hashedIDs := bson.D{{Key: fieldID, Value: bson.D{{Key: "$type", Value: "binData"}}}}
	ids := hashedIDs
	if r := plainRange(q.prefix); !r.none {
		bounds := bson.D{{Key: "$gte", Value: r.lo}}
		if r.bounded {
			bounds = append(bounds, bson.E{Key: "$lt", Value: r.hi})
		}
		ids = bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: fieldID, Value: bounds}}, hashedIDs}}}
	}
	// The _ids first: a server that evaluates the filter document by
	// document (FerretDB) drops most of them on the cheaper test.
	return bson.D{{Key: "$and", Value: bson.A{ids, liveFilter(now)}}}
}

// findOptions returns the options of q's find with projection (nil: whole
// documents). Nothing is sorted: Keys promises no order, and a sort
// costs FerretDB more than the filter saves.
func (q query) findOptions(projection any) *options.FindOptionsBuilder {
	opts := options.Find()
	if projection != nil {
		opts.SetProjection(projection)
	}
	return opts
}

// wants reports whether q lists key (the filter may select more).
func (q query) wants(key string) bool { return strings.HasPrefix(key, q.prefix) }

// ScanKeys yields every key that starts with prefix, under the rules of
// Keys: a range query on _id (and the hashed keys, see above) projecting
// _id, key and expiry, so no value is read (kv.KeyScanner; a namespace's
// Keys, Len and Clear).
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[string](errs.Err("scan keys", err))
	}
	return s.keys(ctx, "scan keys", query{prefix: prefix, scoped: true})
}

// Scan yields every entry whose key starts with prefix, under the rules
// of All, from the query of ScanKeys (kv.PrefixScanner).
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	if err := s.life.Begin(ctx); err != nil {
		return kv.ErrorSeq[kv.Entry[string, []byte]](errs.Err("scan", err))
	}
	return s.entries(ctx, "scan", query{prefix: prefix, scoped: true})
}
