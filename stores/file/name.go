package file

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// File names. Every entry file name is one path component made only of the
// bytes a-z, 0-9, '-', '_', '.' and '%', so that it means the same thing on
// every filesystem, case-sensitive or not, and cannot name a parent, an
// absolute path or a Windows device:
//
//   - "k" + escape(key) + ".kv" when that is at most maxNameLen bytes:
//     escape keeps a-z, 0-9, '-', '_' and '.' and writes every other byte
//     as '%' and two lower-case hex digits. Upper-case letters are escaped
//     so that two keys differing only in case never share a file on a
//     case-insensitive filesystem.
//   - "h" + the lower-case hex SHA-256 of the key + ".kv" otherwise.
//
// The prefix keeps names clear of ".", ".." and device names such as CON;
// the suffix keeps them clear of a trailing dot and tells entry files from
// anything else a person puts in the directory. The key is also stored
// inside every file, so the store can check that a file holds the key its
// name says and can list long keys.
const (
	entryPrefix  = 'k'
	hashedPrefix = 'h'
	entrySuffix  = ".kv"
	tempPrefix   = ".tmp-"

	// maxNameLen is the longest "k" name; longer keys get an "h" name. It
	// leaves room under the common 255-byte limit of a file name.
	maxNameLen = 200

	hashedNameLen = 1 + 2*sha256.Size + len(entrySuffix)
)

const hexDigits = "0123456789abcdef"

// plain reports whether b stands for itself in an escaped name.
func plain(b byte) bool {
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.'
}

// fileName returns the name of the file that holds key.
func fileName(key string) string {
	n := 1 + len(entrySuffix)
	for i := 0; i < len(key); i++ {
		if plain(key[i]) {
			n++
		} else {
			n += 3
		}
		if n > maxNameLen {
			return hashedName(key)
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte(entryPrefix)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if plain(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	b.WriteString(entrySuffix)
	return b.String()
}

func hashedName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return string(hashedPrefix) + hex.EncodeToString(sum[:]) + entrySuffix
}

// isEntryName reports whether name is a name fileName returns. Temp files,
// and any file a person or another program put in the directory under
// another name, are not entries.
func isEntryName(name string) bool {
	if len(name) == hashedNameLen && name[0] == hashedPrefix && strings.HasSuffix(name, entrySuffix) {
		for i := 1; i < hashedNameLen-len(entrySuffix); i++ {
			if unhex(name[i]) < 0 {
				return false
			}
		}
		return true
	}
	_, ok := keyFromName(name)
	return ok
}

// keyFromName returns the key a "k" name encodes, and false for an "h"
// name or a name fileName never returns (one that does not round-trip).
func keyFromName(name string) (string, bool) {
	body, ok := strings.CutSuffix(name, entrySuffix)
	if !ok || len(body) == 0 || body[0] != entryPrefix {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 1; i < len(body); i++ {
		c := body[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(body) {
			return "", false
		}
		hi, lo := unhex(body[i+1]), unhex(body[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	key := b.String()
	if fileName(key) != name {
		return "", false
	}
	return key, true
}

// unhex returns the value of a lower-case hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}
