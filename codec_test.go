package kv_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvkit/kv"
)

type record struct {
	Name    string
	Count   int
	Tags    []string
	Raw     []byte
	When    time.Time
	Headers map[string][]string
}

func sample() record {
	return record{
		Name:    "x",
		Count:   -3,
		Tags:    []string{"a", "b"},
		Raw:     []byte{0, 1, 255},
		When:    time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC),
		Headers: map[string][]string{"Vary": {"Accept"}},
	}
}

func TestValueCodecsRoundTrip(t *testing.T) {
	for name, c := range map[string]kv.Codec[record]{"cbor": kv.CBOR[record](), "json": kv.JSON[record]()} {
		t.Run(name, func(t *testing.T) {
			b, err := c.Encode(sample())
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sample(), got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCBORIsDeterministic(t *testing.T) {
	m := map[string]int{}
	for i := range 50 {
		m[strings.Repeat("k", i+1)] = i
	}
	first, err := kv.CBOR[map[string]int]().Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := kv.CBOR[map[string]int]().Encode(m)
		if !bytes.Equal(first, again) {
			t.Fatal("encoding the same map twice gave different bytes")
		}
	}
}

func TestDecodeFailuresAreCorrupt(t *testing.T) {
	// A CBOR array nested deeper than the limit.
	deep := append(bytes.Repeat([]byte{0x81}, kv.CBORMaxNestedLevels+10), 0x01)
	// A CBOR array header claiming 2^32 elements with none following.
	huge := []byte{0x9a, 0xff, 0xff, 0xff, 0xff}
	// A map with a duplicate key.
	dup := []byte{0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte{0xff, 0x00, 0x13}},
		{"truncated", func() []byte { b, _ := kv.CBOR[record]().Encode(sample()); return b[:len(b)/2] }()},
		{"deep", deep},
		{"huge array", huge},
		{"duplicate map key", dup},
		{"wrong type", []byte{0x65, 'h', 'e', 'l', 'l', 'o'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kv.CBOR[record]().Decode(tc.data)
			if !errors.Is(err, kv.ErrCorrupt) {
				t.Fatalf("Decode: err = %v, want ErrCorrupt", err)
			}
			var anyv any
			if tc.name != "wrong type" {
				_, err = kv.CBOR[any]().Decode(tc.data)
				if !errors.Is(err, kv.ErrCorrupt) {
					t.Fatalf("Decode into any: err = %v (%v), want ErrCorrupt", err, anyv)
				}
			}
		})
	}
	if _, err := kv.JSON[record]().Decode([]byte("{")); !errors.Is(err, kv.ErrCorrupt) {
		t.Fatalf("JSON Decode: err = %v, want ErrCorrupt", err)
	}
}

func TestBytesAndStringCodecs(t *testing.T) {
	in := []byte{0, 1, 2, 255}
	enc, _ := kv.Bytes().Encode(in)
	out, _ := kv.Bytes().Decode(enc)
	enc[0] = 9
	if !bytes.Equal(out, []byte{0, 1, 2, 255}) {
		t.Fatalf("Bytes decode aliases its input: %v", out)
	}
	s, _ := kv.String().Decode([]byte("héllo\x00"))
	if s != "héllo\x00" {
		t.Fatalf("String round trip = %q", s)
	}
}

func TestIntKeys(t *testing.T) {
	roundTrip := func(t *testing.T, c kv.KeyCodec[int64], k int64) {
		s, err := c.EncodeKey(k)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.DecodeKey(s)
		if err != nil || back != k {
			t.Fatalf("DecodeKey(%q) = %d, %v; want %d", s, back, err, k)
		}
	}
	for _, k := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64} {
		roundTrip(t, kv.IntKeys[int64](), k)
	}
	if s, _ := kv.IntKeys[uint64]().EncodeKey(math.MaxUint64); s != "18446744073709551615" {
		t.Fatalf("uint64 max encodes as %q", s)
	}
	bad := map[string]string{
		"int8 overflow":     "128",
		"int8 underflow":    "-129",
		"leading zero":      "01",
		"plus sign":         "+1",
		"negative zero":     "-0",
		"not a number":      "x",
		"empty":             "",
		"unsigned negative": "-1",
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			var err error
			if name == "unsigned negative" {
				_, err = kv.IntKeys[uint8]().DecodeKey(s)
			} else {
				_, err = kv.IntKeys[int8]().DecodeKey(s)
			}
			if !errors.Is(err, kv.ErrCorrupt) {
				t.Fatalf("DecodeKey(%q): err = %v, want ErrCorrupt", s, err)
			}
		})
	}
}

func TestNewSetOptions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := now.Add(time.Minute)
	cases := []struct {
		name string
		opts []kv.SetOption
		want time.Time
		err  error
	}{
		{"none", nil, time.Time{}, nil},
		{"ttl", []kv.SetOption{kv.WithTTL(time.Second)}, now.Add(time.Second), nil},
		{"zero ttl never expires", []kv.SetOption{kv.WithTTL(0)}, time.Time{}, nil},
		{"negative ttl", []kv.SetOption{kv.WithTTL(-1)}, time.Time{}, kv.ErrInvalidTTL},
		{"absolute", []kv.SetOption{kv.WithExpiresAt(at)}, at, nil},
		{"last wins: ttl after absolute", []kv.SetOption{kv.WithExpiresAt(at), kv.WithTTL(time.Hour)}, now.Add(time.Hour), nil},
		{"last wins: absolute after ttl", []kv.SetOption{kv.WithTTL(time.Hour), kv.WithExpiresAt(at)}, at, nil},
		{"nil option ignored", []kv.SetOption{nil}, time.Time{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := kv.NewSetOptions(now, tc.opts...)
			if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if !o.ExpiresAt.Equal(tc.want) {
				t.Fatalf("ExpiresAt = %v, want %v", o.ExpiresAt, tc.want)
			}
		})
	}
	if !kv.Expired(now, now) || kv.Expired(now.Add(1), now) || kv.Expired(time.Time{}, now) {
		t.Fatal("Expired: an entry is expired from the instant it expires, never when zero")
	}
}
