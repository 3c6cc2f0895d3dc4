package httpcache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestHashKeyFormat pins the persisted key format: the hex SHA-256 of the
// parts, each followed by a zero byte, whether the parts fit in hashKey's
// stack buffer or not. Stored caches are read by these keys.
func TestHashKeyFormat(t *testing.T) {
	long := strings.Repeat("https://example.com/a-long-path?q=", 40) // > the stack buffer
	for _, tc := range []struct {
		name  string
		parts []string
		want  string // "" : the digest of the parts each followed by 0
	}{
		{name: "GET URL", parts: []string{"GET", "https://example.com/"}, want: "fa659c8b42a916652fcef45ab202b8b04487fb50d6a29b7e2ebe7b76d1388dc6"},
		{name: "alias", parts: []string{"redirect", "abc"}, want: "a36266df1ddec9e70653b58ab30ec4532fbbafc1eb3918f0b034f1093274f99e"},
		{name: "none", parts: nil},
		{name: "empty parts", parts: []string{"", ""}},
		{name: "longer than the buffer", parts: []string{"POST", long, string(make([]byte, sha256.Size))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				h := sha256.New()
				for _, p := range tc.parts {
					h.Write(append([]byte(p), 0))
				}
				want = hex.EncodeToString(h.Sum(nil))
			}
			if got := hashKey(tc.parts...); got != want {
				t.Errorf("hashKey(%q) = %s, want %s", tc.parts, got, want)
			}
		})
	}
}
