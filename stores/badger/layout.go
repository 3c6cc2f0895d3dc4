package badger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
)

// Key layout.
//
// Every key a Store writes is its prefix name, a 0x00 byte, then the key:
//
//	"kv" 0x00 "user key"
//
// A prefix name is not empty and holds no 0x00 byte, so no store's keys
// are a prefix of another store's keys ("a" 0x00 ... and "ab" 0x00 ...
// cannot meet), and a store's keys are exactly the badger keys that start
// with its prefix.
//
// Value layout.
//
// A value without expiry is stored as it is, with UserMeta 0: raw badger
// readers see the bytes that were Set. A value with an expiry has UserMeta
// metaExpires and starts with a 12-byte header, the expiry's Unix seconds
// (int64) and nanoseconds (uint32), big-endian, followed by the value. The
// badger entry also carries ExpiresAt, the expiry rounded up to the
// second, so badger hides and collects it natively; the header gives the
// exact instant, which the store checks on every read.

const (
	// maxBadgerKey is the longest key badger accepts (Txn.modify).
	maxBadgerKey = 65000

	// maxPrefix is the longest prefix name WithPrefix accepts.
	maxPrefix = 255

	// metaExpires marks a value that starts with an expiry header.
	metaExpires byte = 1

	expiryHeader = 12

	// entryOverhead is what badger adds to an entry's estimated size in a
	// transaction besides key and value: 2 meta bytes and 10 for the
	// version (Txn.checkSize, Entry.estimateSize); a value pointer is 12.
	entryOverhead = 2 + 10
	valuePointer  = 12
)

// internalPrefix is the key prefix badger reserves for itself.
var internalPrefix = []byte("!badger!")

// DefaultPrefix is the key prefix of a store made without WithPrefix.
const DefaultPrefix = "kv"

// ErrInvalidPrefix is returned by Open and New for a prefix name that is
// empty, longer than 255 bytes, holds a 0x00 byte, or starts with badger's reserved "!badger!".
var ErrInvalidPrefix = errors.New("kv/badger: invalid prefix")

func encodePrefix(name string) ([]byte, error) {
	switch {
	case name == "", len(name) > maxPrefix,
		bytes.IndexByte([]byte(name), 0) >= 0,
		bytes.HasPrefix([]byte(name), internalPrefix):
		return nil, fmt.Errorf("%w: %q", ErrInvalidPrefix, name)
	}
	return append([]byte(name), 0), nil
}

// dbKey returns the badger key of key.
func (s *Store) dbKey(key string) []byte {
	b := make([]byte, len(s.prefix)+len(key))
	copy(b, s.prefix)
	copy(b[len(s.prefix):], key)
	return b
}

// limits are the sizes a Store checks before writing, read from the DB's
// options once.
type limits struct {
	maxKey       int   // longest user key
	maxValue     int64 // largest user value, with or without expiry header
	maxStored    int64 // largest stored value badger takes
	threshold    int64 // stored values this long or longer go to the value log
	maxBatchSize int64 // a transaction's size must stay below this
}

// newLimits reads the limits of db. memThreshold is the ValueThreshold db
// was opened with, which badger's memory mode uses as its value limit but
// does not report after Open (0: unknown, assume badger's default).
func newLimits(db *bdg.DB, prefixLen int, memThreshold int64) limits {
	o := db.Opts()
	l := limits{
		maxKey:       maxBadgerKey - prefixLen,
		maxStored:    o.ValueLogFileSize,
		threshold:    o.ValueThreshold,
		maxBatchSize: db.MaxBatchSize(),
	}
	if o.InMemory {
		// Every value stays in the LSM tree. Badger refuses values above
		// the threshold it was opened with, and accepts one of exactly
		// the threshold only to panic writing it (v4.9.6): stay below.
		if memThreshold <= 0 {
			memThreshold = min(bdg.DefaultOptions("").ValueThreshold, l.maxBatchSize)
		}
		l.threshold = math.MaxInt64
		l.maxStored = memThreshold - 1
	}
	// The largest stored value that fits with the longest key.
	v := l.maxStored
	if lsm := l.maxBatchSize - maxBadgerKey - entryOverhead - 1; l.threshold > lsm && v > lsm {
		v = lsm
	}
	l.maxValue = v - expiryHeader
	return l
}

// check returns an error wrapping kv.ErrTooLarge unless an entry of a user
// key of keyLen bytes, a user value of valueLen bytes and a stored value
// of storedLen bytes fits in badger: within the key and value limits, and
// small enough for a transaction on its own.
func (l limits) check(keyLen, valueLen, storedLen int) error {
	if keyLen > l.maxKey || int64(valueLen) > l.maxValue {
		return fmt.Errorf("%w: %d-byte key, %d-byte value (at most %d and %d)",
			kv.ErrTooLarge, keyLen, valueLen, l.maxKey, l.maxValue)
	}
	size := int64(maxBadgerKey-l.maxKey+keyLen) + entryOverhead
	if int64(storedLen) < l.threshold {
		size += int64(storedLen)
	} else {
		size += valuePointer
	}
	if int64(storedLen) > l.maxStored || size >= l.maxBatchSize {
		return fmt.Errorf("%w: %d-byte key and %d-byte value do not fit one badger transaction",
			kv.ErrTooLarge, keyLen, valueLen)
	}
	return nil
}

// encodeValue returns the bytes and the UserMeta to store for value
// expiring at expiresAt (zero: never), and badger's ExpiresAt.
func encodeValue(value []byte, expiresAt time.Time) (stored []byte, meta byte, badgerExpires uint64) {
	if expiresAt.IsZero() {
		return value, 0, 0
	}
	stored = make([]byte, expiryHeader+len(value))
	sec, nsec := expiresAt.Unix(), expiresAt.Nanosecond()
	binary.BigEndian.PutUint64(stored, uint64(sec))
	binary.BigEndian.PutUint32(stored[8:], uint32(nsec))
	copy(stored[expiryHeader:], value)
	// Badger hides an entry once ExpiresAt <= now in seconds: round up,
	// so it never hides an entry before it expires.
	switch {
	case sec < 1:
		badgerExpires = 1
	case nsec > 0:
		badgerExpires = uint64(sec) + 1
	default:
		badgerExpires = uint64(sec)
	}
	return stored, metaExpires, badgerExpires
}

// decodeExpiry splits a stored value with UserMeta meta into its expiry
// and the value.
func decodeExpiry(stored []byte, meta byte) (time.Time, []byte, error) {
	if meta&metaExpires == 0 {
		return time.Time{}, stored, nil
	}
	if len(stored) < expiryHeader {
		return time.Time{}, nil, fmt.Errorf("%w: %d-byte value shorter than its expiry header", kv.ErrCorrupt, len(stored))
	}
	sec := int64(binary.BigEndian.Uint64(stored))
	nsec := binary.BigEndian.Uint32(stored[8:])
	if nsec >= 1e9 {
		return time.Time{}, nil, fmt.Errorf("%w: expiry header has %d nanoseconds", kv.ErrCorrupt, nsec)
	}
	return time.Unix(sec, int64(nsec)), stored[expiryHeader:], nil
}
