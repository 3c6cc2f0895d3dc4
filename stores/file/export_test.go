package file

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/kvkit/kv/conformance"
)

// InjectFaults makes s fail as f is armed.
func InjectFaults(s *Store, f *conformance.FaultSet) {
	s.faults = func(k faultKind) error { return f.Take(conformance.FaultOp(k)) }
}

// Conditional reports whether the store has the conditional writes on
// this system.
const Conditional = conditionalSupported

// Damages are the ways the conformance suite's Damaged subtests damage an
// entry file in dir, one for each check of the file format.
func Damages(dir string) []conformance.Damage {
	edit := func(name string, change func(b []byte) []byte) conformance.Damage {
		return conformance.Damage{Name: name, Apply: func(key string) error {
			path := filepath.Join(dir, fileName(key))
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if len(b) <= headerSize {
				return fmt.Errorf("%s: %d bytes, no value to damage", path, len(b))
			}
			return os.WriteFile(path, change(b), 0o600)
		}}
	}
	return []conformance.Damage{
		// A bit of the value: its checksum finds it.
		edit("value-bit", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		// A bit of the header (the expiry's last byte, a second off): the
		// header checksum finds it.
		edit("header-bit", func(b []byte) []byte { b[15] ^= 1; return b }),
		// A well-formed file of a newer format version, checksum and all.
		edit("newer-format", func(b []byte) []byte {
			b[4] = formatVersion + 1
			keyLen := binary.BigEndian.Uint32(b[20:])
			crc := crc32.Update(0, castagnoli, b[:32])
			crc = crc32.Update(crc, castagnoli, b[headerSize:headerSize+keyLen])
			binary.BigEndian.PutUint32(b[32:], crc)
			return b
		}),
		// Cut short: the lengths in the header no longer add up.
		edit("truncated", func(b []byte) []byte { return b[:len(b)-1] }),
	}
}
