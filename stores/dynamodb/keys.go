package dynamodb

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The partition key scheme. The table's partition key is the binary
// attribute "k"; its first byte says what follows, so the three families
// below can never collide:
//
//	0x00 key            the key itself, for keys of at most MaxInlineKeySize bytes
//	0x01 sha256(key)    for longer keys; the item keeps the key in "ok"
//	0x02 gen index      one chunk of a large value (16-byte generation, uint32 index)
//
// Within the first family the encoding is the identity, within the second
// it is SHA-256 (and the stored key is compared on every read, so even a
// collision could not return another key's value), and chunk items are
// never reported as entries. The mapping from keys to partition keys is
// therefore injective, and every key (empty, binary, NUL bytes, invalid
// UTF-8, up to MaxKeySize bytes) has a partition key within DynamoDB's
// 1..2048 bytes.
const (
	tagPlain  byte = 0x00
	tagHashed byte = 0x01
	tagChunk  byte = 0x02

	genSize = 16
)

// MaxInlineKeySize is the longest key stored as the partition key itself;
// longer keys are stored under their SHA-256 hash.
const MaxInlineKeySize = 1024

// MaxKeySize is the longest key a Store accepts. A hashed key is kept in
// its item, which DynamoDB limits to 400 KB; Set and Get of a longer key
// fail with kv.ErrTooLarge.
const MaxKeySize = 64 << 10

// partitionKey returns the partition key of key.
func partitionKey(key string) []byte {
	if len(key) <= MaxInlineKeySize {
		b := make([]byte, 1+len(key))
		b[0] = tagPlain
		copy(b[1:], key)
		return b
	}
	h := sha256.Sum256([]byte(key))
	return append([]byte{tagHashed}, h[:]...)
}

// hashed reports whether pk is of the hashed family.
func hashed(pk []byte) bool { return len(pk) > 0 && pk[0] == tagHashed }

// chunkKey returns the partition key of chunk i of generation gen.
func chunkKey(gen []byte, i int) []byte {
	b := make([]byte, 1+genSize+4)
	b[0] = tagChunk
	copy(b[1:], gen)
	binary.BigEndian.PutUint32(b[1+genSize:], uint32(i))
	return b
}

// keyOf recovers the key of a head item from its partition key and, for a
// hashed key, the original key attribute.
func keyOf(pk, orig []byte, hasOrig bool) (string, error) {
	if len(pk) == 0 {
		return "", fmt.Errorf("empty partition key")
	}
	switch pk[0] {
	case tagPlain:
		return string(pk[1:]), nil
	case tagHashed:
		if !hasOrig {
			return "", fmt.Errorf("hashed partition key without the original key")
		}
		if h := sha256.Sum256(orig); !bytes.Equal(h[:], pk[1:]) {
			return "", fmt.Errorf("original key does not match its hash")
		}
		return string(orig), nil
	default:
		return "", fmt.Errorf("partition key of unknown family %#x", pk[0])
	}
}
