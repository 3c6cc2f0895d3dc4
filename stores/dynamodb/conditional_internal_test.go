package dynamodb

import (
	"testing"
	"time"
)

func TestDecideCompare(t *testing.T) {
	now := time.Unix(1000, 0)
	gen := make([]byte, genSize)
	cases := []struct {
		name  string
		h     head
		found bool
		old   []byte
		want  compareStep
	}{
		{"absent", head{}, false, nil, stepNotHeld},
		{"inline equal", head{value: []byte("a")}, true, []byte("a"), stepWrite},
		{"inline other", head{value: []byte("a")}, true, []byte("b"), stepNotHeld},
		{"empty equals nil", head{value: []byte{}}, true, nil, stepWrite},
		{"live until later", head{value: []byte("a"), expiresAt: now.Add(time.Nanosecond)}, true, []byte("a"), stepWrite},
		{"expired at now", head{value: []byte("a"), expiresAt: now}, true, []byte("a"), stepNotHeld},
		{"chunked same size", head{chunks: chunkRef{gen: gen, n: 2, size: 3}}, true, []byte("abc"), stepReadChunks},
		{"chunked other size", head{chunks: chunkRef{gen: gen, n: 2, size: 4}}, true, []byte("abc"), stepNotHeld},
		{"chunked expired", head{chunks: chunkRef{gen: gen, n: 2, size: 3}, expiresAt: now.Add(-time.Second)}, true, []byte("abc"), stepNotHeld},
	}
	for _, c := range cases {
		if got := decideCompare(c.h, c.found, now, c.old); got != c.want {
			t.Errorf("%s: decideCompare = %d, want %d", c.name, got, c.want)
		}
	}
}
