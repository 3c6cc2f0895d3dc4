package file

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/kvkit/kv"
)

// The layout of an entry file (see the package documentation). All
// integers are big-endian.
const (
	magic         = "kvkf"
	formatVersion = 1
	headerSize    = 40

	flagExpires = 1 << 0
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the decoded fixed-size start of an entry file.
type header struct {
	expiresAt time.Time
	keyLen    int
	valueLen  int
	valueCRC  uint32
}

// encodeHeader returns the header of an entry holding key and value.
func encodeHeader(key string, value []byte, expiresAt time.Time) []byte {
	b := make([]byte, headerSize, headerSize+len(key))
	copy(b, magic)
	b[4] = formatVersion
	if !expiresAt.IsZero() {
		b[5] = flagExpires
		binary.BigEndian.PutUint64(b[8:], uint64(expiresAt.Unix()))
		binary.BigEndian.PutUint32(b[16:], uint32(expiresAt.Nanosecond()))
	}
	binary.BigEndian.PutUint32(b[20:], uint32(len(key)))
	binary.BigEndian.PutUint64(b[24:], uint64(len(value)))
	crc := crc32.Update(0, castagnoli, b[:32])
	crc = crc32.Update(crc, castagnoli, []byte(key))
	binary.BigEndian.PutUint32(b[32:], crc)
	binary.BigEndian.PutUint32(b[36:], crc32.Checksum(value, castagnoli))
	return b
}

// corrupt returns the cause of every ErrCorrupt this package reports about a
// file it cannot read; the message says what is wrong.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kv.ErrCorrupt}, args...)...)
}

// decodeHeader parses the first headerSize bytes of a file of fileSize
// bytes. It checks everything but the checksums.
func decodeHeader(b []byte, fileSize int64) (header, error) {
	if len(b) < headerSize {
		return header{}, corrupt("truncated header (%d bytes)", len(b))
	}
	if string(b[:4]) != magic {
		return header{}, corrupt("not an entry file (magic %q)", b[:4])
	}
	if b[4] != formatVersion {
		return header{}, corrupt("format version %d, want %d", b[4], formatVersion)
	}
	if b[5]&^flagExpires != 0 || b[6] != 0 || b[7] != 0 {
		return header{}, corrupt("unknown flags %#x%02x%02x", b[5], b[6], b[7])
	}
	var h header
	if b[5]&flagExpires != 0 {
		nsec := binary.BigEndian.Uint32(b[16:])
		if nsec >= 1e9 {
			return header{}, corrupt("expiry nanoseconds %d", nsec)
		}
		h.expiresAt = time.Unix(int64(binary.BigEndian.Uint64(b[8:])), int64(nsec))
	} else if binary.BigEndian.Uint64(b[8:]) != 0 || binary.BigEndian.Uint32(b[16:]) != 0 {
		return header{}, corrupt("expiry set without its flag")
	}
	keyLen := binary.BigEndian.Uint32(b[20:])
	valueLen := binary.BigEndian.Uint64(b[24:])
	if keyLen > MaxKeySize || valueLen > math.MaxInt64-headerSize-MaxKeySize ||
		int64(valueLen) != fileSize-headerSize-int64(keyLen) {
		return header{}, corrupt("file is %d bytes, header says key %d + value %d", fileSize, keyLen, valueLen)
	}
	if uint64(int(valueLen)) != valueLen {
		return header{}, corrupt("value of %d bytes does not fit in memory", valueLen)
	}
	h.keyLen, h.valueLen = int(keyLen), int(valueLen)
	h.valueCRC = binary.BigEndian.Uint32(b[36:])
	return h, nil
}

// checkHead verifies the checksum of the header hdr (the first headerSize
// bytes of the file) and the key.
func checkHead(hdr []byte, key string) error {
	crc := crc32.Update(0, castagnoli, hdr[:32])
	crc = crc32.Update(crc, castagnoli, []byte(key))
	if crc != binary.BigEndian.Uint32(hdr[32:]) {
		return corrupt("header checksum mismatch")
	}
	return nil
}

// checkValue verifies the checksum of the value.
func checkValue(h header, value []byte) error {
	if crc32.Checksum(value, castagnoli) != h.valueCRC {
		return corrupt("value checksum mismatch")
	}
	return nil
}
