package otelkv

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kvkit/kv"
)

func TestErrorKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{kv.ErrNotFound, ""},
		{fmt.Errorf("kv/redis: get \"k\": %w", kv.ErrNotFound), ""},
		{context.Canceled, "canceled"},
		{fmt.Errorf("kv/sqlite: get: %w", context.DeadlineExceeded), "deadline_exceeded"},
		{fmt.Errorf("kv/file: set: %w", kv.ErrClosed), "closed"},
		{fmt.Errorf("kv: typed get: %w", kv.ErrCorrupt), "corrupt"},
		{fmt.Errorf("kv/dynamodb: set: %w", kv.ErrTooLarge), "too_large"},
		{kv.ErrInvalidTTL, "invalid_ttl"},
		{errors.New("connection refused"), "_OTHER"},
		// The context's errors win over the store's: a store closed while
		// a cancelled call was in flight reports the cancellation.
		{errors.Join(kv.ErrClosed, context.Canceled), "canceled"},
		// A miss is a miss, whatever else is joined to it.
		{errors.Join(kv.ErrNotFound, kv.ErrCorrupt), ""},
	}
	for _, tc := range cases {
		if got := errorKind(tc.err).String(); got != tc.want {
			t.Errorf("errorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
