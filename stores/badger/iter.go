package badger

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/kvkit/kv"
)

// Iteration reads the keys in chunks, each in its own read transaction
// with its own badger iterator, closed before any entry of the chunk is
// yielded; the next chunk starts just after the last key read. So no
// transaction or iterator stays open while the caller's loop body runs
// (which may write to the store, or Close it), breaking out of a loop
// leaves nothing open, and keys are yielded in order, each once.
const (
	chunkKeys  = 1024    // keys per chunk of Keys and Len
	chunkItems = 256     // entries per chunk of All and Scan
	chunkBytes = 4 << 20 // value bytes per chunk of All and Scan, past the first entry
)

// Len returns the number of keys under the store's prefix that have not
// expired, iterating over keys only.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return 0, errs.Err("len", err)
	}
	defer s.gate.End()
	n := 0
	err := s.db.View(func(txn *bdg.Txn) error {
		it := txn.NewIterator(bdg.IteratorOptions{Prefix: s.prefix})
		defer it.Close()
		now := time.Now()
		i := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if i++; i%chunkKeys == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ok, err := live(it.Item(), now)
			if err != nil && !errors.Is(err, kv.ErrCorrupt) {
				return err
			}
			// A damaged entry is counted: it is there, and Get reports it.
			if ok || err != nil {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, errs.Err("len", err)
	}
	return n, nil
}

// Keys yields every key of the store that has not expired, in byte order.
// It reads keys only, but for entries that expire within the second it
// also reads their expiry header.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return keysOf(s.scan(ctx, "keys", nil, false))
}

// ScanKeys yields, in key order, every key that starts with prefix, under
// the rules of Keys: the key-only iteration of Keys over the range of Scan,
// so no value is read (kv.KeyScanner; a namespace's Keys, Len and Clear).
func (s *Store) ScanKeys(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return keysOf(s.scan(ctx, "scan keys", []byte(prefix), false))
}

// keysOf yields the keys of a key-only scan.
func keysOf(entries iter.Seq2[kv.Entry[string, []byte], error]) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range entries {
			if !yield(e.Key, err) {
				return
			}
		}
	}
}

// All yields every entry of the store that has not expired, in key order,
// with its expiry. An entry whose expiry header is damaged is yielded as an
// error wrapping kv.ErrCorrupt, and the loop may go on.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, "all", nil, true)
}

// Scan yields the entries whose key starts with prefix, in key order, under
// the rules of All, reading only that range of keys.
func (s *Store) Scan(ctx context.Context, prefix string) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, "scan", []byte(prefix), true)
}

type item struct {
	entry kv.Entry[string, []byte]
	err   error
}

// scan yields the entries under s.prefix+sub chunk by chunk; with values
// false it yields keys only (Value nil, ExpiresAt zero).
func (s *Store) scan(ctx context.Context, op string, sub []byte, values bool) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		bound := append(bytes.Clone(s.prefix), sub...)
		from := bound
		for {
			chunk, next, err := s.chunk(ctx, bound, from, values)
			if err != nil {
				yield(kv.Entry[string, []byte]{}, errs.Err(op, err))
				return
			}
			for _, it := range chunk {
				if err := s.gate.Err(ctx); err != nil {
					yield(kv.Entry[string, []byte]{}, errs.Err(op, err))
					return
				}
				if it.err != nil {
					it.err = errs.Key(op, it.entry.Key, it.err)
					it.entry = kv.Entry[string, []byte]{}
				}
				if !yield(it.entry, it.err) {
					return
				}
			}
			if next == nil {
				return
			}
			from = next
		}
	}
}

// chunk reads the live entries from key from on, under bound, up to the
// chunk limits, and returns where the next chunk starts (nil at the end).
func (s *Store) chunk(ctx context.Context, bound, from []byte, values bool) (out []item, next []byte, err error) {
	if err := s.gate.Begin(ctx); err != nil {
		return nil, nil, err
	}
	defer s.gate.End()
	max, size := chunkKeys, 0
	if values {
		max = chunkItems
	}
	err = s.db.View(func(txn *bdg.Txn) error {
		it := txn.NewIterator(bdg.IteratorOptions{
			Prefix:         bound,
			PrefetchValues: values,
			PrefetchSize:   min(max, 100),
		})
		defer it.Close()
		now := time.Now()
		for it.Seek(from); it.Valid(); it.Next() {
			if len(out) == max || size > chunkBytes {
				next = it.Item().KeyCopy(nil)
				return nil
			}
			i := it.Item()
			key := string(i.Key()[len(s.prefix):])
			if !values {
				ok, err := live(i, now)
				switch {
				case errors.Is(err, kv.ErrCorrupt):
					out = append(out, item{entry: kv.Entry[string, []byte]{Key: key}, err: err})
				case err != nil:
					return err
				case ok:
					out = append(out, item{entry: kv.Entry[string, []byte]{Key: key}})
				}
				continue
			}
			v, exp, err := read(i, now)
			switch {
			case errors.Is(err, errExpired):
			case errors.Is(err, kv.ErrCorrupt):
				out = append(out, item{entry: kv.Entry[string, []byte]{Key: key}, err: err})
			case err != nil:
				return err
			default:
				out = append(out, item{entry: kv.Entry[string, []byte]{Key: key, Value: v, ExpiresAt: exp}})
				size += len(v)
			}
		}
		return nil
	})
	return out, next, err
}
