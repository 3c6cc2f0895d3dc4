package mongo

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The _id scheme. A key that is valid UTF-8, holds no NUL byte and is at
// most MaxPlainKeySize bytes long is its own _id, a BSON string. Any other
// key (longer, binary, with a NUL) has as _id the BSON binary (subtype 0)
// of its SHA-256 hash, and the document keeps the key itself in the field
// "k" (binary). A string and a binary _id never compare equal, SHA-256 does
// not collide, and reads compare the stored key with the one asked for, so
// the scheme is injective and any key up to MaxKeySize bytes is accepted
// whatever index key limit the server has.

// MaxPlainKeySize is the longest key stored as its own _id.
const MaxPlainKeySize = 512

// MaxKeySize is the longest key a Store accepts; Set and Get of a longer
// key fail with kv.ErrTooLarge.
const MaxKeySize = 64 << 10

// plain reports whether key is stored as its own _id.
func plain(key string) bool {
	return len(key) <= MaxPlainKeySize && utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// docID returns the _id of key.
func docID(key string) any {
	if plain(key) {
		return key
	}
	h := sha256.Sum256([]byte(key))
	return bson.Binary{Subtype: bson.TypeBinaryGeneric, Data: h[:]}
}

var errBadID = errors.New("document with an _id this store did not write")

// keyOf recovers the key of a document from its _id and, for a hashed
// _id, its "k" field.
func keyOf(doc bson.Raw) (string, error) {
	id, err := doc.LookupErr(fieldID)
	if err != nil {
		return "", errBadID
	}
	if s, ok := id.StringValueOK(); ok {
		return s, nil
	}
	_, h, ok := id.BinaryOK()
	if !ok || len(h) != sha256.Size {
		return "", errBadID
	}
	kv, err := doc.LookupErr(fieldKey)
	if err != nil {
		return "", errors.New("hashed _id without the key")
	}
	_, k, ok := kv.BinaryOK()
	if !ok {
		return "", errors.New("key field is not binary")
	}
	if sum := sha256.Sum256(k); !bytes.Equal(sum[:], h) {
		return "", errors.New("key does not match its hashed _id")
	}
	return string(k), nil
}
