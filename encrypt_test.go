package kv_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
)

func key(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func mustRing(t *testing.T, current uint32, keys map[uint32][]byte) *kv.Keyring {
	t.Helper()
	r, err := kv.NewKeyring(current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEncryptCodec(t *testing.T) {
	old := mustRing(t, 1, map[uint32][]byte{1: key(1, 32)})
	rotated := mustRing(t, 2, map[uint32][]byte{1: key(1, 32), 2: key(2, 16)})
	onlyNew := mustRing(t, 2, map[uint32][]byte{2: key(2, 16)})

	secret := Point{X: 424242, Y: 171717}
	sealedOld, err := kv.EncryptCodec(kv.CBOR[Point](), old).Encode(secret)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := kv.CBOR[Point]().Encode(secret)
	if bytes.Contains(sealedOld, plain) {
		t.Fatal("sealed bytes contain the plain encoding")
	}
	again, _ := kv.EncryptCodec(kv.CBOR[Point](), old).Encode(secret)
	if bytes.Equal(sealedOld, again) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}

	// After rotation, old values still open and new ones use the new key.
	got, err := kv.EncryptCodec(kv.CBOR[Point](), rotated).Decode(sealedOld)
	if err != nil || got != secret {
		t.Fatalf("rotated ring opening an old value = %v, %v", got, err)
	}
	sealedNew, _ := kv.EncryptCodec(kv.CBOR[Point](), rotated).Encode(secret)
	if _, err := kv.EncryptCodec(kv.CBOR[Point](), onlyNew).Decode(sealedNew); err != nil {
		t.Fatalf("new value under the new key alone: %v", err)
	}

	tampered := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	bad := map[string][]byte{
		"key dropped from ring": sealedOld,
		"flipped ciphertext":    tampered(sealedNew, len(sealedNew)-20),
		"flipped tag":           tampered(sealedNew, len(sealedNew)-1),
		"flipped nonce":         tampered(sealedNew, 7),
		"flipped key id":        tampered(sealedNew, 4),
		"truncated":             sealedNew[:len(sealedNew)-1],
		"short":                 sealedNew[:10],
		"plain value":           plain,
		"empty":                 nil,
	}
	for name, data := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := kv.EncryptCodec(kv.CBOR[Point](), onlyNew).Decode(data)
			if !errors.Is(err, kv.ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestNewKeyringErrors(t *testing.T) {
	if _, err := kv.NewKeyring(1, map[uint32][]byte{2: key(1, 32)}); !errors.Is(err, kv.ErrNoKey) {
		t.Fatalf("missing current key: err = %v, want ErrNoKey", err)
	}
	if _, err := kv.NewKeyring(1, map[uint32][]byte{1: key(1, 7)}); err == nil {
		t.Fatal("a 7-byte AES key was accepted")
	}
}

func TestEncryptStore(t *testing.T) {
	ctx := context.Background()
	ring := mustRing(t, 1, map[uint32][]byte{1: key(9, 32)})
	raw := newRaw(t)
	s := kv.EncryptStore(raw, ring)

	secret := []byte("Authorization: Bearer very-secret-token")
	if err := s.Set(ctx, "a", secret); err != nil {
		t.Fatal(err)
	}
	if err := kv.SetMany(ctx, s, []kv.Entry[string, []byte]{{Key: "b", Value: []byte("bee")}}); err != nil {
		t.Fatal(err)
	}
	stored, _ := raw.Get(ctx, "a")
	if bytes.Contains(stored, []byte("very-secret-token")) {
		t.Fatal("the raw store holds the secret in clear")
	}
	got, err := s.Get(ctx, "a")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	many, err := kv.GetMany(ctx, s, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"a": secret, "b": []byte("bee")}, many); diff != "" {
		t.Fatalf("GetMany (-want +got):\n%s", diff)
	}

	// A valid sealed value moved to another key does not open there.
	if err := raw.Set(ctx, "moved", stored); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "moved"); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("value moved between keys: err = %v, want ErrCorrupt", err)
	}
	corrupt, good := 0, 0
	for _, err := range s.All(ctx) {
		if errors.Is(err, kv.ErrCorrupt) {
			corrupt++
		} else if err == nil {
			good++
		} else {
			t.Fatal(err)
		}
	}
	if corrupt != 1 || good != 2 {
		t.Fatalf("All: %d good, %d corrupt; want 2 and 1", good, corrupt)
	}
}
