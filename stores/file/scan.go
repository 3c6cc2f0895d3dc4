package file

import (
	"context"
	"iter"
	"strings"

	"github.com/kvkit/kv"
)

// Prefix scans. A "k" file name is the key, escaped byte by byte, so the
// name alone tells whether its key starts with a prefix: ScanKeys and
// Scan list the directory as Keys and All do but open only the files
// whose name says they may hold a matching key, the "k" names of the
// prefix and every "h" name (a key too long for its name, which only its
// file gives). Keys filtered by the prefix would read the header of every
// entry; All filtered would read every file whole.

// scope is what a scan lists: every entry (Keys, All, Len), or those whose
// key starts with prefix (ScanKeys, Scan).
type scope struct {
	prefix string
	scoped bool
}

// mayHold reports whether the entry file name may hold a key sc wants,
// from the name alone.
func (sc scope) mayHold(name string) bool {
	if !sc.scoped || name[0] == hashedPrefix {
		return true
	}
	key, ok := keyFromName(name)
	return ok && strings.HasPrefix(key, sc.prefix)
}

// wants reports whether sc lists key.
func (sc scope) wants(key string) bool { return strings.HasPrefix(key, sc.prefix) }

// ScanKeys yields, in the order of the file names, every key that starts
// with prefix, under the rules of Keys: it opens only the entry files
// whose name may hold such a key (see the package documentation) and
// reads their header and key, never their value (kv.KeyScanner; a
// namespace's Keys, Len and Clear).
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range s.scan(ctx, "scan keys", scope{prefix: prefix, scoped: true}, false) {
			if !yield(e.Key, err) {
				return
			}
		}
	}
}

// Scan yields every entry whose key starts with prefix, under the rules
// of All, reading only the files ScanKeys opens (kv.PrefixScanner).
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, "scan", scope{prefix: prefix, scoped: true}, true)
}

var (
	_ kv.PrefixScanner[[]byte] = (*Store)(nil)
	_ kv.KeyScanner            = (*Store)(nil)
)
