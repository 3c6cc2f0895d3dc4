package storekit

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/kvkit/kv"
)

// Backend names a backend in its errors, as the package name after
// "kv/": a backend declares const errs storekit.Backend = "redis" and
// wraps every error it returns with it.
type Backend string

// Err wraps err for an operation that has no one key (len, clear, keys,
// close, open): "kv/<backend>: <op>: <err>". A nil err gives nil.
func (b Backend) Err(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{backend: b, op: op, err: err}
}

// Key wraps err for an operation on key: "kv/<backend>: <op> <key>:
// <err>", key as Quote writes it. A nil err gives nil.
func (b Backend) Key(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{backend: b, op: op, key: key, hasKey: true, err: err}
}

// opError is what Err and Key return. Its message is built when asked
// for, not when the error is made: a miss (kv.ErrNotFound) is an error
// on a hot path that is tested with errors.Is and rarely printed.
type opError struct {
	backend Backend
	op, key string
	hasKey  bool
	err     error
}

func (e *opError) Error() string {
	msg := "kv/" + string(e.backend) + ": " + e.op
	if e.hasKey {
		msg += " " + Quote(e.key)
	}
	return msg + ": " + e.err.Error()
}

func (e *opError) Unwrap() error { return e.err }

// QuoteMax is how many bytes of a key Quote keeps.
const QuoteMax = 64

// Quote formats key for an error message: Go-quoted, so that no key can
// forge a line of a log, and cut to its first QuoteMax bytes (at a
// character boundary) followed by …(N bytes) when it is longer.
func Quote(key string) string {
	if len(key) <= QuoteMax {
		return strconv.Quote(key)
	}
	n := QuoteMax
	for n > QuoteMax-utf8.UTFMax && !utf8.RuneStart(key[n]) {
		n--
	}
	return strconv.Quote(key[:n]) + "…(" + strconv.Itoa(len(key)) + " bytes)"
}

// CheckKeySize returns an error wrapping kv.ErrTooLarge when key is longer
// than max bytes, and nil otherwise.
func CheckKeySize(key string, max int) error {
	if len(key) > max {
		return fmt.Errorf("%w: key of %d bytes, at most %d", kv.ErrTooLarge, len(key), max)
	}
	return nil
}
