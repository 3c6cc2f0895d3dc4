package postgres

import "crypto/sha256"

// Keys and the primary key.
//
// A B-tree entry holds at most 2704 bytes on PostgreSQL's 8 KiB pages, so
// the primary key cannot be any key. A key shorter than longKey bytes is
// its own primary key. A longer one has as primary key its first
// keptPrefix bytes followed by its SHA-256 hash (longKey bytes in all),
// and the key itself in long_key. Short keys are shorter than every
// derived one, so the scheme is injective (barring a SHA-256 collision);
// a derived key starts with the key's own first keptPrefix bytes, so a
// range on the primary key still finds every key with a prefix of up to
// keptPrefix bytes, and a longer prefix is checked on the keys read.
const (
	longKey    = 2048
	keptPrefix = longKey - sha256.Size
)

// MaxKeySize is the longest key a store accepts: 64 KiB. Keys of 2 KiB or
// more are kept as described in the package doc. A longer key fails with
// kv.ErrTooLarge.
const MaxKeySize = 64 << 10

// pkOf returns the primary key of key and, for a long key, the key itself
// for long_key (nil otherwise, which is NULL). The primary key is never
// nil, which would be NULL too.
func pkOf(key string) (pk, long []byte) {
	if len(key) < longKey {
		return keyArg(key), nil
	}
	h := sha256.Sum256([]byte(key))
	pk = make([]byte, 0, longKey)
	pk = append(pk, key[:keptPrefix]...)
	return append(pk, h[:]...), []byte(key)
}

// pkPrefix returns the part of a scan prefix the primary key range can
// use.
func pkPrefix(prefix string) string {
	if len(prefix) > keptPrefix {
		return prefix[:keptPrefix]
	}
	return prefix
}

// keyOf returns the key of a row from its primary key and long_key.
func keyOf(pk, long []byte) string {
	if long != nil {
		return string(long)
	}
	return string(pk)
}
