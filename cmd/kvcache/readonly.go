package main

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
	"github.com/kvkit/kv/stores"
)

// openReadOnly opens the existing store rawURL names for reading, and
// never creates anything: a missing location is an error wrapping
// fs.ErrNotExist. It has the signature of stores.OpenReadOnly, which it
// is to become once every backend opens read-only natively; until then
// it checks that a local store's path exists (and that a SQLite file is
// not empty) before opening it with stores.Open.
func openReadOnly(ctx context.Context, rawURL string) (kv.Store[string, []byte], error) {
	if err := mustExist(rawURL); err != nil {
		return nil, err
	}
	return stores.Open(ctx, rawURL)
}

// mustExist checks that the location of a local store URL exists; a
// memory URL never names an existing store.
func mustExist(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // stores.Open says what is wrong with it
	}
	switch u.Scheme {
	case "memory":
		return fmt.Errorf("stores: %s: a memory store exists only in the program that made it: %w", rawURL, fs.ErrNotExist)
	case "file", "sqlite", "badger":
	default:
		return nil
	}
	p, err := storekit.Path(u)
	if err != nil {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("stores: open %s read-only: %w", stores.Redact(rawURL), err)
	}
	if u.Scheme == "sqlite" && fi.Size() == 0 {
		return fmt.Errorf("stores: open %s read-only: empty file, not a database: %w", stores.Redact(rawURL), fs.ErrNotExist)
	}
	return nil
}
