package conformance

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/kvkit/kv"
)

func (s *suite) values(t *testing.T) {
	t.Run("Binary", s.test(testBinaryValues))
	t.Run("Empty", s.test(testEmptyValue))
	t.Run("Large", s.test(testLargeValues))
	t.Run("NotAliased", s.test(testNotAliased))
}

// testBinaryValues checks that values are bytes, not text: every byte
// value, invalid UTF-8, NULs, and values that look like an encoding.
func testBinaryValues(t *testing.T, h *harness) {
	s := h.store()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	reversed := bytes.Clone(all)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	want := map[string][]byte{
		"ascending":  all,
		"descending": reversed,
		"nuls":       make([]byte, 100),
		"nul-tail":   []byte("text\x00"),
		"bad-utf8":   []byte("\xff\xfe\xfd\xc3\x28\xe2\x82"),
		"bom":        []byte("\xef\xbb\xbfx"),
		"crlf":       []byte("a\r\nb\rc\n"),
		"json-null":  []byte("null"),
		"json-str":   []byte(`"quoted"`),
		"cbor-ish":   {0xa1, 0x61, 0x61, 0x01},
		"spaces":     []byte("  padded  "),
	}
	for i := range 256 {
		want[fmt.Sprintf("byte-%02x", i)] = []byte{byte(i)}
	}
	for _, k := range sortedKeys(want) {
		mustSet(t, h.ctx, s, k, want[k])
	}
	wantContents(t, h.ctx, s, want)
}

// testEmptyValue checks that an empty value is a value: Get returns it with
// no error, and it is counted and iterated. A nil value is stored as an
// empty one.
func testEmptyValue(t *testing.T, h *harness) {
	s := h.store()
	mustSet(t, h.ctx, s, "empty", []byte{})
	mustSet(t, h.ctx, s, "nil", nil)
	for _, k := range []string{"empty", "nil"} {
		got, err := s.Get(h.ctx, k)
		if err != nil {
			t.Errorf("Get(%q) of an empty value: %v, want an empty value and no error", k, err)
		} else if len(got) != 0 {
			t.Errorf("Get(%q) = %s, want an empty value", k, qv(got))
		}
	}
	wantContents(t, h.ctx, s, map[string][]byte{"empty": {}, "nil": {}})

	// Overwriting a value with an empty one must not leave the old one.
	mustSet(t, h.ctx, s, "shrinks", []byte("not empty"))
	mustSet(t, h.ctx, s, "shrinks", []byte{})
	wantValue(t, h.ctx, s, "shrinks", []byte{})
}

// testLargeValues checks 1 MiB and 8 MiB values (or the declared limit).
// The bytes are pseudo-random, so compression does not make them small.
func testLargeValues(t *testing.T, h *harness) {
	s := h.store()
	sizes := map[string]int{
		"1MiB": h.caps.valueSize(1 << 20),
		"8MiB": h.caps.valueSize(largeValueSize),
	}
	want := make(map[string][]byte)
	for i, k := range sortedKeys(sizes) {
		v := randomBytes(uint64(i+1), sizes[k])
		mustSet(t, h.ctx, s, k, v)
		want[k] = v
	}
	wantContents(t, h.ctx, s, want)

	// A large value overwritten by a small one, and the reverse.
	mustSet(t, h.ctx, s, "8MiB", []byte("small now"))
	wantValue(t, h.ctx, s, "8MiB", []byte("small now"))
	mustSet(t, h.ctx, s, "8MiB", want["8MiB"])
	wantValue(t, h.ctx, s, "8MiB", want["8MiB"])
}

// testNotAliased checks that the store and its caller do not share value
// buffers: changing a slice after passing it to Set, or after getting it
// from Get, All or GetMany, does not change what the store holds. Every
// byte store copies, whether over a network, onto disk or in memory; a
// caller may reuse its buffer as soon as Set returns.
func testNotAliased(t *testing.T, h *harness) {
	s := h.store()
	orig := []byte("original value")

	in := bytes.Clone(orig)
	mustSet(t, h.ctx, s, "set", in)
	clear(in)
	wantValue(t, h.ctx, s, "set", orig)

	out, err := s.Get(h.ctx, "set")
	if err != nil {
		t.Fatal(err)
	}
	clear(out)
	wantValue(t, h.ctx, s, "set", orig)

	for e, err := range s.All(h.ctx) {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		clear(e.Value)
	}
	wantValue(t, h.ctx, s, "set", orig)

	many, err := kv.GetMany(h.ctx, s, []string{"set"})
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	clear(many["set"])
	wantValue(t, h.ctx, s, "set", orig)

	batch := []kv.Entry[string, []byte]{{Key: "set-many", Value: bytes.Clone(orig)}}
	if err := kv.SetMany(h.ctx, s, batch); err != nil {
		t.Fatalf("SetMany: %v", err)
	}
	clear(batch[0].Value)
	wantValue(t, h.ctx, s, "set-many", orig)
}

// randomBytes returns n pseudo-random bytes from seed: the AES-CTR key
// stream, which is fast even under the race detector and does not
// compress.
func randomBytes(seed uint64, n int) []byte {
	var key [16]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 16-byte key is always valid
	}
	b := make([]byte, n)
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(b, b)
	return b
}
