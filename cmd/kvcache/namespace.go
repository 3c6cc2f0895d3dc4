package main

import (
	"context"
	"iter"
	"strings"

	"github.com/kvkit/kv"
)

// namespace is the part of a byte store whose keys start with prefix, seen
// as a store of its own with the prefix removed. The command keeps the
// cache's responses, its redirect aliases and its counters in one store
// this way, so that one URL names a whole cache and copy moves all of it.
type namespace struct {
	raw    kv.Store[string, []byte]
	prefix string
}

func (n namespace) Get(ctx context.Context, key string) ([]byte, error) {
	return n.raw.Get(ctx, n.prefix+key)
}

func (n namespace) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	return n.raw.Set(ctx, n.prefix+key, value, opts...)
}

func (n namespace) Delete(ctx context.Context, key string) error {
	return n.raw.Delete(ctx, n.prefix+key)
}

func (n namespace) Has(ctx context.Context, key string) (bool, error) {
	return n.raw.Has(ctx, n.prefix+key)
}

func (n namespace) Len(ctx context.Context) (int, error) {
	count := 0
	for _, err := range n.All(ctx) {
		if err != nil {
			return 0, err
		}
		count++
	}
	return count, nil
}

// Clear deletes this namespace's keys in batches of 500.
func (n namespace) Clear(ctx context.Context) error {
	var batch []string
	for e, err := range kv.Scan(ctx, n.raw, n.prefix) {
		if err != nil {
			return err
		}
		batch = append(batch, e.Key)
		if len(batch) == 500 {
			if err := kv.DeleteMany(ctx, n.raw, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return kv.DeleteMany(ctx, n.raw, batch)
}

// Close does nothing: the command closes the underlying store once.
func (n namespace) Close() error { return nil }

func (n namespace) Keys(ctx context.Context) iter.Seq2[string, error] {
	return kv.MapSeq(n.All(ctx), func(e kv.Entry[string, []byte]) (string, bool, error) {
		return e.Key, false, nil
	})
}

func (n namespace) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return kv.MapSeq(kv.Scan(ctx, n.raw, n.prefix), func(e kv.Entry[string, []byte]) (kv.Entry[string, []byte], bool, error) {
		e.Key = strings.TrimPrefix(e.Key, n.prefix)
		return e, false, nil
	})
}

func (n namespace) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = n.prefix + k
	}
	found, err := kv.GetMany(ctx, n.raw, full)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(found))
	for k, v := range found {
		out[strings.TrimPrefix(k, n.prefix)] = v
	}
	return out, nil
}

func (n namespace) SetMany(ctx context.Context, entries []kv.Entry[string, []byte]) error {
	full := make([]kv.Entry[string, []byte], len(entries))
	for i, e := range entries {
		e.Key = n.prefix + e.Key
		full[i] = e
	}
	return kv.SetMany(ctx, n.raw, full)
}

func (n namespace) DeleteMany(ctx context.Context, keys []string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = n.prefix + k
	}
	return kv.DeleteMany(ctx, n.raw, full)
}
