package kv

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
)

// Encryption at rest.
//
// A Keyring holds AES keys by ID. Values are sealed with AES-GCM under the
// keyring's current key; any key of the ring opens them, so keys can be
// rotated: add the new key, make it current, and old entries still read
// until they are rewritten or expire. Drop an old key only when no entry
// sealed with it is left.
//
// A sealed value is:
//
//	byte 0      format version (1)
//	bytes 1-4   key ID, big-endian
//	bytes 5-16  random nonce
//	bytes 17-   ciphertext and 16-byte GCM tag
//
// The first five bytes are authenticated along with the ciphertext. Bytes
// that do not open (tampered, truncated, sealed under a key the ring lacks,
// or not sealed at all) are ErrCorrupt.
//
// EncryptCodec seals what another codec encodes. It cannot know under
// which key a value is stored, so someone who can write to the store can
// move a valid sealed value from one key to another. EncryptStore closes
// that gap: it authenticates the entry's key too, so a value moved to
// another key does not open.

const (
	sealVersion  = 1
	sealHeader   = 1 + 4
	sealNonce    = 12
	sealOverhead = sealHeader + sealNonce + 16
)

// ErrNoKey is returned by NewKeyring when the current key ID is not in the
// ring.
var ErrNoKey = errors.New("kv: keyring has no key with the current ID")

// Keyring is a set of AES keys by ID, one of which is current. It is
// immutable and safe for concurrent use.
type Keyring struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
}

// NewKeyring returns a keyring of keys (16, 24 or 32 bytes each, for
// AES-128, -192 or -256) that seals with keys[current].
func NewKeyring(current uint32, keys map[uint32][]byte) (*Keyring, error) {
	r := &Keyring{current: current, aeads: make(map[uint32]cipher.AEAD, len(keys))}
	for id, key := range keys {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("kv: keyring key %d: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("kv: keyring key %d: %w", id, err)
		}
		r.aeads[id] = aead
	}
	if _, ok := r.aeads[current]; !ok {
		return nil, fmt.Errorf("%w (%d)", ErrNoKey, current)
	}
	return r, nil
}

// seal encrypts plain under the current key, authenticating the header and
// extra.
func (r *Keyring) seal(plain, extra []byte) ([]byte, error) {
	out := make([]byte, sealHeader+sealNonce, sealOverhead+len(plain))
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:sealHeader], r.current)
	nonce := out[sealHeader : sealHeader+sealNonce]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("kv: seal: %w", err)
	}
	return r.aeads[r.current].Seal(out, nonce, plain, additional(out[:sealHeader], extra)), nil
}

// open decrypts sealed, checking the header and extra.
func (r *Keyring) open(sealed, extra []byte) ([]byte, error) {
	if len(sealed) < sealOverhead || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: not a sealed value", ErrCorrupt)
	}
	id := binary.BigEndian.Uint32(sealed[1:sealHeader])
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: sealed with key %d, which the keyring lacks", ErrCorrupt, id)
	}
	nonce := sealed[sealHeader : sealHeader+sealNonce]
	plain, err := aead.Open(nil, nonce, sealed[sealHeader+sealNonce:], additional(sealed[:sealHeader], extra))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed value does not authenticate under key %d", ErrCorrupt, id)
	}
	return plain, nil
}

func additional(header, extra []byte) []byte {
	if len(extra) == 0 {
		return header
	}
	return append(append(make([]byte, 0, len(header)+len(extra)), header...), extra...)
}

// EncryptCodec returns a codec that seals what inner encodes with the
// keyring's current key, and opens and then decodes with inner.
func EncryptCodec[T any](inner Codec[T], ring *Keyring) Codec[T] {
	return encryptCodec[T]{inner: inner, ring: ring}
}

type encryptCodec[T any] struct {
	inner Codec[T]
	ring  *Keyring
}

func (c encryptCodec[T]) Encode(v T) ([]byte, error) {
	plain, err := c.inner.Encode(v)
	if err != nil {
		return nil, err
	}
	return c.ring.seal(plain, nil)
}

// Deterministic reports false: each Encode seals with a new random nonce,
// so one value never encodes to the same bytes twice.
func (c encryptCodec[T]) Deterministic() bool { return false }

func (c encryptCodec[T]) Decode(data []byte) (T, error) {
	plain, err := c.ring.open(data, nil)
	if err != nil {
		var zero T
		return zero, err
	}
	return c.inner.Decode(plain)
}

// EncryptStore returns a byte store that seals every value it writes to
// raw and opens every value it reads, authenticating the entry's key with
// it. Keys are stored in clear (they must be, to be looked up): do not put
// secrets in keys.
//
// It has exactly the capabilities of raw, chosen once here (see Typed):
// the batch methods, PrefixScanner and KeyScanner when raw has them, each
// one call to raw's with every value opened. Keys are not sealed, so a
// prefix scan of raw is a prefix scan of the encrypted store.
//
// It never has ConditionalWriter, even over a raw that has it: each value
// is sealed with a fresh random nonce, so the bytes raw holds never equal
// a new sealing of the value they hold, and raw's byte comparison could
// not check a condition on values.
//
// Closing the returned store marks it closed and does not close raw: the
// caller opened raw and closes it (see the package doc's Ownership).
func EncryptStore(raw Store[string, []byte], ring *Keyring) Store[string, []byte] {
	c := capabilitiesOf(raw)
	c.conditional = false // see above: ciphertexts differ per write
	return offer[string, []byte](&encryptStore{raw: raw, ring: ring}, c)
}

// encryptStore is the core of a store made by EncryptStore.
type encryptStore struct {
	raw  Store[string, []byte]
	ring *Keyring
	closeFlag
}

func (s *encryptStore) seal(key string, v []byte) ([]byte, error) {
	b, err := s.ring.seal(v, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("kv: encrypt %q: %w", key, err)
	}
	return b, nil
}

func (s *encryptStore) open(key string, v []byte) ([]byte, error) {
	b, err := s.ring.open(v, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("kv: decrypt %q: %w", key, err)
	}
	return b, nil
}

func (s *encryptStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check("encrypted", "get"); err != nil {
		return nil, err
	}
	v, err := s.raw.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.open(key, v)
}

func (s *encryptStore) Set(ctx context.Context, key string, value []byte, opts ...SetOption) error {
	if err := s.check("encrypted", "set"); err != nil {
		return err
	}
	b, err := s.seal(key, value)
	if err != nil {
		return err
	}
	return s.raw.Set(ctx, key, b, opts...)
}

func (s *encryptStore) Delete(ctx context.Context, key string) error {
	if err := s.check("encrypted", "delete"); err != nil {
		return err
	}
	return s.raw.Delete(ctx, key)
}

func (s *encryptStore) Has(ctx context.Context, key string) (bool, error) {
	if err := s.check("encrypted", "has"); err != nil {
		return false, err
	}
	return s.raw.Has(ctx, key)
}

func (s *encryptStore) Len(ctx context.Context) (int, error) {
	if err := s.check("encrypted", "len"); err != nil {
		return 0, err
	}
	return s.raw.Len(ctx)
}

func (s *encryptStore) Clear(ctx context.Context) error {
	if err := s.check("encrypted", "clear"); err != nil {
		return err
	}
	return s.raw.Clear(ctx)
}

func (s *encryptStore) Keys(ctx context.Context) iter.Seq2[string, error] {
	if err := s.check("encrypted", "keys"); err != nil {
		return ErrorSeq[string](err)
	}
	return s.raw.Keys(ctx)
}

// All yields opened entries; an entry that does not open is yielded as an
// error wrapping ErrCorrupt and the loop may go on.
func (s *encryptStore) All(ctx context.Context) iter.Seq2[Entry[string, []byte], error] {
	if err := s.check("encrypted", "all"); err != nil {
		return ErrorSeq[Entry[string, []byte]](err)
	}
	return s.openEntries(s.raw.All(ctx))
}

func (s *encryptStore) openEntries(seq iter.Seq2[Entry[string, []byte], error]) iter.Seq2[Entry[string, []byte], error] {
	return func(yield func(Entry[string, []byte], error) bool) {
		for e, err := range seq {
			if err != nil {
				yield(e, err)
				return
			}
			e.Value, err = s.open(e.Key, e.Value)
			if !yield(e, err) {
				return
			}
		}
	}
}

func (s *encryptStore) getMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.check("encrypted", "get many"); err != nil {
		return nil, err
	}
	found, err := GetMany(ctx, s.raw, keys)
	if err != nil {
		return nil, err
	}
	for k, v := range found {
		if found[k], err = s.open(k, v); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func (s *encryptStore) setMany(ctx context.Context, entries []Entry[string, []byte]) error {
	if err := s.check("encrypted", "set many"); err != nil {
		return err
	}
	sealed := make([]Entry[string, []byte], len(entries))
	for i, e := range entries {
		b, err := s.seal(e.Key, e.Value)
		if err != nil {
			return err
		}
		sealed[i] = Entry[string, []byte]{Key: e.Key, Value: b, ExpiresAt: e.ExpiresAt}
	}
	return SetMany(ctx, s.raw, sealed)
}

func (s *encryptStore) deleteMany(ctx context.Context, keys []string) error {
	if err := s.check("encrypted", "delete many"); err != nil {
		return err
	}
	return DeleteMany(ctx, s.raw, keys)
}

func (s *encryptStore) scan(ctx context.Context, prefix string) iter.Seq2[Entry[string, []byte], error] {
	if err := s.check("encrypted", "scan"); err != nil {
		return ErrorSeq[Entry[string, []byte]](err)
	}
	return s.openEntries(Scan(ctx, s.raw, prefix))
}

func (s *encryptStore) scanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := s.check("encrypted", "scan keys"); err != nil {
		return ErrorSeq[string](err)
	}
	return ScanKeys(ctx, s.raw, prefix)
}
