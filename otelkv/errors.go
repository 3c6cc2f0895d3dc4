package otelkv

import (
	"context"
	"errors"

	"github.com/kvkit/kv"
)

// kind is what an operation's error is, as the error.type attribute names
// it. kindNone is no error at all, which includes kv.ErrNotFound: a miss is
// an answer, not a failure.
type kind uint8

const (
	kindNone kind = iota
	kindCanceled
	kindDeadline
	kindClosed
	kindCorrupt
	kindTooLarge
	kindInvalidTTL
	kindOther
	numKinds
)

// kindNames are the values of the error.type attribute, one per kind;
// "_OTHER" is the semantic conventions' value for an error of no known
// kind.
var kindNames = [numKinds]string{
	kindNone:       "",
	kindCanceled:   "canceled",
	kindDeadline:   "deadline_exceeded",
	kindClosed:     "closed",
	kindCorrupt:    "corrupt",
	kindTooLarge:   "too_large",
	kindInvalidTTL: "invalid_ttl",
	kindOther:      "_OTHER",
}

func (k kind) String() string { return kindNames[k] }

// errorKind classifies err. The context's errors come first: a call cut
// short by its context is reported as such even when the backend wrapped
// the cause in an error of its own.
func errorKind(err error) kind {
	switch {
	case err == nil, errors.Is(err, kv.ErrNotFound):
		return kindNone
	case errors.Is(err, context.Canceled):
		return kindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return kindDeadline
	case errors.Is(err, kv.ErrClosed):
		return kindClosed
	case errors.Is(err, kv.ErrCorrupt):
		return kindCorrupt
	case errors.Is(err, kv.ErrTooLarge):
		return kindTooLarge
	case errors.Is(err, kv.ErrInvalidTTL):
		return kindInvalidTTL
	default:
		return kindOther
	}
}
