package dynamodb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kvkit/kv"
)

// Large values. A value that does not fit in one item (with its key) is
// cut into chunks of chunkSize bytes, each an item of its own under the
// partition key 0x02 || generation || index (see partitionKey), where the
// generation is 16 random bytes drawn for each write. The chunks are
// written first; then the entry's head item, which holds the generation,
// the chunk count and the size instead of the value, replaces the old
// head. A reader thus sees the old value or the new one, never a mix; one
// that finds a chunk gone (replaced meanwhile) reads the head again. The
// writer that replaces or deletes a chunked head deletes its chunks. Chunk
// items carry the entry's TTL attribute, so DynamoDB's Time to Live
// removes them with their head.
//
// A writer that fails between writing its chunks and its head deletes the
// chunks it wrote; one that dies there leaves them behind (they are never
// read, counted or listed, and Clear deletes them).

var errChunkMissing = errors.New("chunk missing")

// cleanupTimeout bounds deleting replaced chunks, which goes on when the
// caller's context is cancelled once the write it belongs to is done.
const cleanupTimeout = time.Minute

// maxChunkGet is how many chunks one BatchGetItem reads, keeping its
// response under DynamoDB's 16 MB.
const maxChunkGet = 16 << 20 / (chunkSize + 4<<10)

func (s *Store) writeChunks(ctx context.Context, value []byte, expiresAt time.Time) (chunkRef, error) {
	gen := make([]byte, genSize)
	_, _ = rand.Read(gen) // never fails
	cnt := (len(value) + chunkSize - 1) / chunkSize
	ref := chunkRef{gen: gen, n: cnt, size: len(value)}
	reqs := make([]types.WriteRequest, cnt)
	for i := range cnt {
		part := value[i*chunkSize : min((i+1)*chunkSize, len(value))]
		item := map[string]types.AttributeValue{attrKey: b(chunkKey(gen, i)), attrChunk: b(part)}
		if !expiresAt.IsZero() {
			expiryAttrs(item, expiresAt)
		}
		reqs[i] = putRequest(item)
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		s.dropChunks(ctx, ref)
		return chunkRef{}, fmt.Errorf("write chunks: %w", err)
	}
	return ref, nil
}

func (s *Store) readChunks(ctx context.Context, ref chunkRef) ([]byte, error) {
	pks := make([][]byte, ref.n)
	for i := range pks {
		pks[i] = chunkKey(ref.gen, i)
	}
	items, err := s.batchGet(ctx, pks, maxChunkGet, "", nil)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	parts := make([][]byte, ref.n)
	for _, it := range items {
		pk, _ := getB(it, attrKey)
		data, ok := getB(it, attrChunk)
		if len(pk) != 1+genSize+4 || !ok {
			return nil, fmt.Errorf("%w: bad chunk item", kv.ErrCorrupt)
		}
		i := int(pk[1+genSize])<<24 | int(pk[2+genSize])<<16 | int(pk[3+genSize])<<8 | int(pk[4+genSize])
		if i >= ref.n {
			return nil, fmt.Errorf("%w: chunk index %d of %d", kv.ErrCorrupt, i, ref.n)
		}
		parts[i] = data
	}
	v := make([]byte, 0, ref.size)
	for i, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("%w: %d of %d", errChunkMissing, i, ref.n)
		}
		v = append(v, p...)
	}
	if len(v) != ref.size {
		return nil, fmt.Errorf("%w: chunks hold %d bytes, want %d", kv.ErrCorrupt, len(v), ref.size)
	}
	return v, nil
}

// deleteChunks deletes the chunks of ref, going on for a while when ctx is
// cancelled: it runs once the write that replaced them is done.
func (s *Store) deleteChunks(ctx context.Context, ref chunkRef) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	reqs := make([]types.WriteRequest, ref.n)
	for i := range reqs {
		reqs[i] = deleteRequest(b(chunkKey(ref.gen, i)))
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("delete replaced chunks: %w", err)
	}
	return nil
}

// dropChunks deletes the chunks of a write that failed, logging failure:
// the write's own error is the one reported.
func (s *Store) dropChunks(ctx context.Context, ref chunkRef) {
	if err := s.deleteChunks(ctx, ref); err != nil {
		s.log.Warn("kv/dynamodb: chunks of a failed write left behind", "table", *s.table, "err", err)
	}
}
