package faulttest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Value returns a self-verifying value for key at generation gen: the key,
// the generation, size bytes of payload drawn from rng, and the SHA-256
// of all that. Check verifies it, so a torn, truncated or mixed value is
// detected whatever the backend.
//
//	"fv1|" key "|" gen "|" payload "|" sha256(everything before)
func Value(key string, gen int, size int, rng *rand.ChaCha8) []byte {
	var b bytes.Buffer
	b.WriteString("fv1|")
	b.WriteString(key)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(gen))
	b.WriteByte('|')
	payload := make([]byte, size)
	rng.Read(payload)
	b.Write(payload)
	b.WriteByte('|')
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// ErrTorn is wrapped by Check's errors.
var ErrTorn = errors.New("faulttest: value does not verify")

// Check verifies a value made by Value for key and returns its generation.
func Check(key string, v []byte) (int, error) {
	if len(v) < sha256.Size+1 {
		return 0, fmt.Errorf("%w: %d bytes", ErrTorn, len(v))
	}
	body, sum := v[:len(v)-sha256.Size], v[len(v)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return 0, fmt.Errorf("%w: checksum mismatch (%d bytes)", ErrTorn, len(v))
	}
	prefix := "fv1|" + key + "|"
	if !bytes.HasPrefix(body, []byte(prefix)) {
		return 0, fmt.Errorf("%w: value of another key", ErrTorn)
	}
	rest := body[len(prefix):]
	i := bytes.IndexByte(rest, '|')
	if i < 0 {
		return 0, fmt.Errorf("%w: no generation", ErrTorn)
	}
	gen, err := strconv.Atoi(string(rest[:i]))
	if err != nil {
		return 0, fmt.Errorf("%w: generation %q", ErrTorn, rest[:i])
	}
	return gen, nil
}
