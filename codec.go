package kv

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/fxamacker/cbor/v2"
)

// Codec turns values of type T into bytes and back. Decode must not panic
// on any input and must report bytes it cannot decode with an error
// wrapping ErrCorrupt. Codecs are safe for concurrent use.
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(data []byte) (T, error)
}

// DeterministicCodec is a Codec that says whether it is deterministic:
// whether it encodes equal values to equal bytes, every time and in every
// process, and encoding a value it decoded gives back the bytes it decoded
// from. Typed offers a store's conditional writes only through a codec
// that is (a comparison of stored bytes is then a comparison of values);
// a codec that does not implement this interface is taken not to be.
//
// Of this package's codecs, CBOR (core deterministic encoding: map keys
// sorted, shortest lengths), JSON (encoding/json sorts map keys, and
// formats numbers and escapes strings one way), Bytes and String are
// deterministic; EncryptCodec is not (it seals with a random nonce). A
// value type's own MarshalJSON, MarshalCBOR or MarshalBinary method must be
// deterministic too, and so must the values decoded into an interface
// type (a CBOR float32 held in an any decodes as a float64 and encodes to
// other bytes, so kv.Update on it never matches). encoding/gob is not
// deterministic: it encodes maps in iteration order, which varies.
type DeterministicCodec[T any] interface {
	Codec[T]
	Deterministic() bool
}

// KeyCodec turns keys of type K into the strings a byte-level store keys
// its entries by, and back. Encoding must be injective: two different keys
// never give the same string.
type KeyCodec[K comparable] interface {
	EncodeKey(k K) (string, error)
	DecodeKey(s string) (K, error)
}

// PrefixKeyCodec is a KeyCodec for string keys that keeps prefixes: for
// every key k and prefix p, k starts with p exactly when EncodeKey(k)
// starts with EncodePrefix(p). Typed forwards a store's prefix scans
// (PrefixScanner, KeyScanner) only through such a codec, since only then
// is a scan of the encoded keys the same as a scan of the keys.
type PrefixKeyCodec interface {
	KeyCodec[string]
	EncodePrefix(prefix string) (string, error)
}

// CBOR limits applied to every decode, so that hostile bytes cannot make
// the decoder allocate without bound or recurse deeply. Each bounds the
// count inside one value; the total size is bounded by the stored bytes.
const (
	CBORMaxNestedLevels  = 32
	CBORMaxArrayElements = 1 << 20
	CBORMaxMapPairs      = 1 << 20
)

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
)

func init() {
	var err error
	cborEnc, err = cbor.EncOptions{
		Sort: cbor.SortCoreDeterministic,
		Time: cbor.TimeRFC3339Nano,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	cborDec, err = cbor.DecOptions{
		MaxNestedLevels:  CBORMaxNestedLevels,
		MaxArrayElements: CBORMaxArrayElements,
		MaxMapPairs:      CBORMaxMapPairs,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// CBOR returns the default value codec: deterministic CBOR (RFC 8949
// core deterministic encoding, times as RFC 3339 strings with nanoseconds),
// decoded with the limits above. It encodes exported struct fields by
// name, honouring `cbor` and then `json` struct tags.
func CBOR[T any]() Codec[T] { return cborCodec[T]{} }

type cborCodec[T any] struct{}

func (cborCodec[T]) Encode(v T) ([]byte, error) {
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("kv: cbor encode: %w", err)
	}
	return b, nil
}

// Deterministic reports true: the encoding is RFC 8949 core deterministic.
func (cborCodec[T]) Deterministic() bool { return true }

func (cborCodec[T]) Decode(data []byte) (v T, err error) {
	defer recoverCorrupt("cbor", &err)
	if err := cborDec.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: cbor: %v", ErrCorrupt, err)
	}
	return v, nil
}

// JSON returns a codec that stores values as encoding/json does.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Encode(v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("kv: json encode: %w", err)
	}
	return b, nil
}

// Deterministic reports true: encoding/json sorts map keys and writes each
// value one way.
func (jsonCodec[T]) Deterministic() bool { return true }

func (jsonCodec[T]) Decode(data []byte) (v T, err error) {
	defer recoverCorrupt("json", &err)
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: json: %v", ErrCorrupt, err)
	}
	return v, nil
}

// Bytes returns the identity codec for []byte values. Decode copies, so the
// caller owns the slice it gets.
func Bytes() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Encode(v []byte) ([]byte, error) { return v, nil }
func (bytesCodec) Deterministic() bool             { return true }
func (bytesCodec) Decode(data []byte) ([]byte, error) {
	return append([]byte{}, data...), nil
}

// String returns a codec that stores strings as their bytes.
func String() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Encode(v string) ([]byte, error)    { return []byte(v), nil }
func (stringCodec) Deterministic() bool                { return true }
func (stringCodec) Decode(data []byte) (string, error) { return string(data), nil }

// StringKeys returns the key codec for string keys: the key is its own
// encoding. It is a PrefixKeyCodec.
func StringKeys() KeyCodec[string] { return stringKeys{} }

type stringKeys struct{}

func (stringKeys) EncodeKey(k string) (string, error) { return k, nil }
func (stringKeys) DecodeKey(s string) (string, error) { return s, nil }

// EncodePrefix returns the prefix: the encoding is the identity.
func (stringKeys) EncodePrefix(p string) (string, error) { return p, nil }

// Integer is the set of integer types IntKeys accepts.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// IntKeys returns a key codec for integer keys, stored in decimal. Decoding
// a string that is not a decimal integer in K's range is ErrCorrupt.
func IntKeys[K Integer]() KeyCodec[K] { return intKeys[K]{} }

type intKeys[K Integer] struct{}

func (intKeys[K]) EncodeKey(k K) (string, error) {
	if k < 0 {
		return strconv.FormatInt(int64(k), 10), nil
	}
	return strconv.FormatUint(uint64(k), 10), nil
}

func (c intKeys[K]) DecodeKey(s string) (K, error) {
	var k K
	if len(s) > 0 && s[0] == '-' {
		n, err := strconv.ParseInt(s, 10, 64)
		k = K(n)
		if err != nil {
			return 0, fmt.Errorf("%w: integer key %q", ErrCorrupt, s)
		}
	} else {
		n, err := strconv.ParseUint(s, 10, 64)
		k = K(n)
		if err != nil {
			return 0, fmt.Errorf("%w: integer key %q", ErrCorrupt, s)
		}
	}
	// Only the canonical form of a key in K's range decodes: this rejects
	// overflow, a sign on an unsigned type, "+1", "01" and "-0".
	if back, _ := c.EncodeKey(k); back != s {
		return 0, fmt.Errorf("%w: integer key %q", ErrCorrupt, s)
	}
	return k, nil
}

// recoverCorrupt turns a panic inside a decoder into ErrCorrupt, so that no
// stored bytes can crash a reader.
func recoverCorrupt(codec string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s decoder panicked: %v", ErrCorrupt, codec, r)
	}
}

// IsCorrupt reports whether err says stored bytes could not be decoded.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
