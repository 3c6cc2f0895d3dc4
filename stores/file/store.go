package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/internal/storekit"
)

// MaxKeySize is the longest key, in bytes, the store accepts. Set with a
// longer key fails with an error wrapping kv.ErrTooLarge.
const MaxKeySize = 64 << 10

// StaleTempAge is how old a temp file must be before the store removes it
// as the leftover of a crashed or killed writer. Younger ones may belong
// to a write in progress in another process and are left alone.
const StaleTempAge = time.Minute

// Store is a kv.Store[string, []byte] that keeps one file per entry in a
// directory. Make one with Open or New; the zero Store is not usable.
//
// Several goroutines may use a Store at once, and several Stores, in one
// process or in several, may be open on the same directory: every write
// is a rename of a complete file, so a reader sees the whole old entry or
// the whole new one.
type Store struct {
	dir      string
	root     *os.Root
	ownsRoot bool // Close closes root

	sync     bool
	maxBytes int64
	now      storekit.Clock
	log      *slog.Logger

	gate storekit.Gate // held shared by every operation; Close waits for them

	// size is this store's running estimate of the bytes in entry files
	// (WithMaxBytes only): the total the last eviction pass measured, plus
	// every file written since. It only ever overestimates the bytes this
	// process has written; writes of other processes are counted at the
	// next pass.
	size    atomic.Int64
	evictMu sync.Mutex

	faults func(faultKind) error // nil but in the tests on a failing disk (faults.go)
}

// Option configures a Store.
type Option func(*options)

type options struct {
	sync     bool
	maxBytes int64
	now      storekit.Clock
	log      *slog.Logger
}

// WithSync makes every Set fsync the entry file before renaming it into
// place and fsync the directory after, and every Delete and Clear fsync
// the directory, so that a write that returned survives a power loss or
// an operating system crash. Without it (the default, what a cache wants)
// a write that returned survives the process crashing but may be lost, or
// read back as kv.ErrCorrupt, after the machine crashes; a partly written
// entry is never returned as a value.
func WithSync(on bool) Option { return func(o *options) { o.sync = on } }

// WithMaxBytes bounds the total size of the entry files (header, key and
// value; not temp files, not filesystem blocks) to n bytes, evicting the
// least recently used entries (see the package documentation). A Set
// whose own entry file would be larger than n fails with kv.ErrTooLarge.
// n <= 0 means no bound, the default.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithClock makes the store read the time from now instead of time.Now
// when it computes and checks expiry, for tests. The access times used by
// WithMaxBytes always come from the filesystem's clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger makes the store log what it cannot report to a caller (an
// eviction or clean-up that failed after the Set that triggered it
// succeeded). The default logs nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Open opens the store kept in directory dir, creating the directory (and
// its parents, mode 0700) when it is missing. A leading "~" or "~/" in dir
// stands for the user's home directory. Open removes temp files older than
// StaleTempAge and, with WithMaxBytes, measures the directory and evicts
// down to the bound.
//
// The directory belongs to the store: Clear removes every entry file in
// it; files whose names are not entry names are ignored and left alone.
// Errors name the directory and wrap the cause.
func Open(dir string, opts ...Option) (*Store, error) {
	path, err := expandHome(dir)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, errs.Key("open", dir, err)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	s, err := newStore(root, path, true, opts)
	if err != nil {
		root.Close()
		return nil, errs.Key("open", dir, err)
	}
	return s, nil
}

// OpenReadOnly opens the existing store kept in directory dir for reading
// only. It creates nothing and changes nothing: a missing directory gives
// an error wrapping fs.ErrNotExist; no temp file is removed, no entry
// evicted and no access time marked (WithMaxBytes is ignored). Every
// write (Set, Delete, Clear, DeleteExpired) fails with an error wrapping
// kv.ErrReadOnly. A directory the process cannot write is read like any
// other.
func OpenReadOnly(dir string, opts ...Option) (*Store, error) {
	path, err := expandHome(dir)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	if !fi.IsDir() {
		return nil, errs.Key("open", dir, fmt.Errorf("%s is not a directory", path))
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, errs.Key("open", dir, err)
	}
	o := newOptions(opts)
	s := &Store{dir: path, root: root, ownsRoot: true, sync: o.sync, now: o.now, log: o.log}
	s.gate.SetReadOnly()
	return s, nil
}

// New returns a store kept in the directory of root, an os.Root the caller
// owns and may share: Close does not close it. It does what Open does once
// the directory is open.
func New(root *os.Root, opts ...Option) (*Store, error) {
	s, err := newStore(root, root.Name(), false, opts)
	if err != nil {
		return nil, errs.Key("new", root.Name(), err)
	}
	return s, nil
}

// newOptions resolves opts.
func newOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	return o
}

func newStore(root *os.Root, dir string, owned bool, opts []Option) (*Store, error) {
	o := newOptions(opts)
	s := &Store{
		dir:      dir,
		root:     root,
		ownsRoot: owned,
		sync:     o.sync,
		maxBytes: o.maxBytes,
		now:      o.now,
		log:      o.log,
	}
	names, err := s.readNames()
	if err == nil {
		err = s.removeStaleTemps(names)
	}
	if err == nil && s.maxBytes > 0 {
		s.size.Store(s.maxBytes + 1) // force the first pass to measure
		err = s.evict(context.Background())
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func expandHome(dir string) (string, error) {
	if dir != "~" && !strings.HasPrefix(dir, "~/") && !strings.HasPrefix(dir, "~"+string(filepath.Separator)) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, dir[1:]), nil
}

// Dir returns the directory the store keeps its files in, with "~"
// expanded.
func (s *Store) Dir() string { return s.dir }

const errs storekit.Backend = "file"

// Get returns the value stored under key. It returns an error wrapping
// kv.ErrNotFound when the key is absent or expired, and one wrapping
// kv.ErrCorrupt when the entry file is damaged (bad header, wrong length,
// checksum mismatch, or another key inside). With WithMaxBytes, a Get
// marks the entry as used.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return nil, errs.Key("get", key, err)
	}
	defer s.gate.End()
	v, err := s.get(key)
	if err != nil {
		return nil, errs.Key("get", key, err)
	}
	return v, nil
}

func (s *Store) get(key string) ([]byte, error) {
	name := fileName(key)
	ef, err := s.readFile(name, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, kv.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if ef.key != key {
		return nil, corrupt("%s holds another key", name)
	}
	if s.now.Expired(ef.h.expiresAt) {
		return nil, kv.ErrNotFound
	}
	s.touch(name)
	return ef.value, nil
}

// touch marks the entry file name as just used, for the LRU bound.
func (s *Store) touch(name string) {
	if s.maxBytes <= 0 {
		return
	}
	now := time.Now()
	if err := s.root.Chtimes(name, now, now); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("kv/file: mark entry used", "dir", s.dir, "file", name, "err", err)
	}
}

// Has reports whether key is present and not expired. It reads the entry's
// header and key, not its value, and fails with an error wrapping
// kv.ErrCorrupt when they are damaged. With WithMaxBytes, Has marks the
// entry as used.
func (s *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := s.gate.Begin(ctx); err != nil {
		return false, errs.Key("has", key, err)
	}
	defer s.gate.End()
	name := fileName(key)
	ef, err := s.readFile(name, false)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil && ef.key != key {
		err = corrupt("%s holds another key", name)
	}
	if err != nil {
		return false, errs.Key("has", key, err)
	}
	if s.now.Expired(ef.h.expiresAt) {
		return false, nil
	}
	s.touch(name)
	return true, nil
}

// entryFile is what readFile read from one entry file.
type entryFile struct {
	h     header
	key   string
	value []byte // nil unless asked for
	info  os.FileInfo
}

// readFile reads the entry file name: its header and key (checking their
// checksum), and its value (checking its own) when withValue is set. A missing file gives an
// error wrapping fs.ErrNotExist, a damaged one an error wrapping
// kv.ErrCorrupt. It does not check that the key belongs under name.
func (s *Store) readFile(name string, withValue bool) (entryFile, error) {
	if err := s.fault(faultRead); err != nil {
		return entryFile{}, err
	}
	f, err := s.root.Open(name)
	if err != nil {
		return entryFile{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return entryFile{}, err
	}
	if !fi.Mode().IsRegular() {
		return entryFile{}, corrupt("%s is not a regular file", name)
	}
	if withValue {
		return readWhole(f, fi)
	}
	return readHead(f, fi, name)
}

// readWhole reads the entry file f whole and checks both checksums.
func readWhole(f *os.File, fi os.FileInfo) (entryFile, error) {
	// Entry files are replaced, never changed in place, so the size of the
	// open file is its final size.
	buf := make([]byte, fi.Size())
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return entryFile{}, err
	}
	buf = buf[:n]
	h, err := decodeHeader(buf, int64(n))
	if err != nil {
		return entryFile{}, err
	}
	ef := entryFile{
		h:     h,
		key:   string(buf[headerSize : headerSize+h.keyLen]),
		value: buf[headerSize+h.keyLen:],
		info:  fi,
	}
	if err := checkHead(buf, ef.key); err != nil {
		return entryFile{}, err
	}
	if err := checkValue(h, ef.value); err != nil {
		return entryFile{}, err
	}
	return ef, nil
}

// readHead reads the header and key of the entry file f, name, and checks
// their checksum.
func readHead(f *os.File, fi os.FileInfo, name string) (entryFile, error) {
	var b [headerSize + 256]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return entryFile{}, err
	}
	h, err := decodeHeader(b[:n], fi.Size())
	if err != nil {
		return entryFile{}, err
	}
	ef := entryFile{h: h, info: fi}
	if headerSize+h.keyLen <= n {
		ef.key = string(b[headerSize : headerSize+h.keyLen])
	} else {
		key := make([]byte, h.keyLen)
		copy(key, b[headerSize:n])
		if _, err := io.ReadFull(f, key[n-headerSize:]); err != nil {
			return entryFile{}, corrupt("%s: reading key: %v", name, err)
		}
		ef.key = string(key)
	}
	if err := checkHead(b[:headerSize], ef.key); err != nil {
		return entryFile{}, err
	}
	return ef, nil
}

// Set stores value under key, replacing any earlier entry. It writes the
// entry to a temp file in the directory and renames it into place (with
// fsyncs under WithSync), so readers in any process see the old entry or
// the new one, never a part. A key longer than MaxKeySize, or an entry
// larger than WithMaxBytes, fails with kv.ErrTooLarge; a negative TTL with
// kv.ErrInvalidTTL. A done ctx fails the call before anything is written.
func (s *Store) Set(ctx context.Context, key string, value []byte, opts ...kv.SetOption) error {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Key("set", key, err)
	}
	defer s.gate.End()
	if err := s.set(ctx, key, value, opts); err != nil {
		return errs.Key("set", key, err)
	}
	return nil
}

func (s *Store) set(ctx context.Context, key string, value []byte, opts []kv.SetOption) error {
	e, err := s.newEntry(key, value, opts)
	if err != nil {
		return err
	}
	l, err := s.lockEntry(e.name, lockShared)
	if err != nil {
		return err
	}
	err = s.write(ctx, e)
	l.unlock()
	if err != nil {
		return err
	}
	s.wrote(ctx, e)
	return nil
}

// pendingEntry is the entry file of a write of value under key.
type pendingEntry struct {
	name       string
	head, rest []byte // written in this order
	size       int64
}

// newEntry checks a write of value under key and lays out its file, or
// fails with kv.ErrTooLarge or kv.ErrInvalidTTL.
func (s *Store) newEntry(key string, value []byte, opts []kv.SetOption) (pendingEntry, error) {
	if err := storekit.CheckKeySize(key, MaxKeySize); err != nil {
		return pendingEntry{}, err
	}
	so, err := s.now.SetOptions(opts...)
	if err != nil {
		return pendingEntry{}, err
	}
	size := headerSize + int64(len(key)) + int64(len(value))
	if s.maxBytes > 0 && size > s.maxBytes {
		return pendingEntry{}, fmt.Errorf("%w: entry of %d bytes, store bound %d", kv.ErrTooLarge, size, s.maxBytes)
	}
	buf := encodeHeader(key, value, so.ExpiresAt)
	buf = append(buf, key...)
	// Small values go in the same write as the header; a large one is
	// written from the caller's slice rather than copied.
	const inline = 64 << 10
	var rest []byte
	if len(value) <= inline {
		buf = append(buf, value...)
	} else {
		rest = value
	}
	return pendingEntry{name: fileName(key), head: buf, rest: rest, size: size}, nil
}

// write puts e in place, with the fsyncs of WithSync. The caller holds
// the entry's lock.
func (s *Store) write(ctx context.Context, e pendingEntry) error {
	if err := s.writeEntry(ctx, e.name, e.head, e.rest); err != nil {
		return err
	}
	if s.sync {
		return s.syncDir()
	}
	return nil
}

// wrote counts e, written, towards WithMaxBytes and evicts when the
// bound is passed. The caller no longer holds the entry's lock, which
// eviction may need.
func (s *Store) wrote(ctx context.Context, e pendingEntry) {
	if s.maxBytes > 0 && s.size.Add(e.size) > s.maxBytes {
		if err := s.evict(ctx); err != nil {
			s.log.Warn("kv/file: evict", "dir", s.dir, "err", err)
		}
	}
}

// writeEntry writes head and then rest to a new temp file, fsynced with
// WithSync, and renames it to name: the entry file is replaced whole or
// not at all, and not at all once ctx is done.
func (s *Store) writeEntry(ctx context.Context, name string, head, rest []byte) error {
	tmp, f, err := s.createTemp()
	if err != nil {
		return err
	}
	_, err = f.Write(head)
	if err == nil && len(rest) > 0 {
		_, err = f.Write(rest)
	}
	if err == nil && s.sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fault(faultWrite) // as if the write, sync or close failed
	}
	if err == nil {
		err = ctx.Err() // last chance to write nothing
	}
	if err == nil {
		err = s.root.Rename(tmp, name)
	}
	if err != nil {
		s.root.Remove(tmp)
		return err
	}
	return nil
}

// createTemp creates a new private temp file. Its name carries its creation
// time, so that the sweep can tell a leftover from a write in progress
// without trusting file times.
func (s *Store) createTemp() (string, *os.File, error) {
	for range 10 {
		name := tempName()
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("cannot create a temp file with a unique name")
}

func tempName() string {
	return fmt.Sprintf("%s%x-%016x", tempPrefix, time.Now().UnixNano(), rand.Uint64())
}

// tempAge returns how long ago the temp file name was created, from the
// time in its name; ok is false when name is not a temp file name of this
// package.
func tempAge(name string, now time.Time) (age time.Duration, ok bool) {
	rest, found := strings.CutPrefix(name, tempPrefix)
	if !found {
		return 0, false
	}
	stamp, _, found := strings.Cut(rest, "-")
	if !found {
		return 0, false
	}
	ns, err := strconv.ParseInt(stamp, 16, 64)
	if err != nil {
		return 0, false
	}
	return now.Sub(time.Unix(0, ns)), true
}

func (s *Store) syncDir() error {
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Delete removes key. Deleting an absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Key("delete", key, err)
	}
	defer s.gate.End()
	name := fileName(key)
	l, err := s.lockEntry(name, lockShared)
	if err != nil {
		return errs.Key("delete", key, err)
	}
	defer l.unlock()
	if err := s.remove(name); err != nil {
		return errs.Key("delete", key, err)
	}
	return nil
}

// remove removes the entry file name, with the fsync of WithSync; a
// missing file is not an error. The caller holds the entry's lock.
func (s *Store) remove(name string) error {
	err := s.removeFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && s.sync {
		err = s.syncDir()
	}
	return err
}

// Len returns the number of entries present and not expired. It reads the
// header of every entry file; damaged entries are not counted.
func (s *Store) Len(ctx context.Context) (int, error) {
	n := 0
	for _, err := range s.scan(ctx, "len", scope{}, false) {
		if errors.Is(err, kv.ErrCorrupt) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Clear removes every entry file in the directory, and temp files older
// than StaleTempAge. Other files are left alone. An entry written by
// another Store while Clear runs may survive it.
func (s *Store) Clear(ctx context.Context) error {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return errs.Err("clear", err)
	}
	defer s.gate.End()
	names, err := s.readNames()
	if err != nil {
		return errs.Err("clear", err)
	}
	for _, name := range names {
		if !isEntryName(name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errs.Err("clear", err)
		}
		if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return errs.Err("clear", err)
		}
	}
	if err := s.removeStaleTemps(names); err != nil {
		return errs.Err("clear", err)
	}
	if s.sync {
		if err := s.syncDir(); err != nil {
			return errs.Err("clear", err)
		}
	}
	if s.maxBytes > 0 {
		s.size.Store(0)
	}
	return nil
}

// readNames lists the directory.
func (s *Store) readNames() ([]string, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// removeStaleTemps removes the temp files among names that are older than
// StaleTempAge.
func (s *Store) removeStaleTemps(names []string) error {
	now := time.Now()
	for _, name := range names {
		if age, ok := tempAge(name, now); ok && age > StaleTempAge {
			if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// Keys yields the key of every entry present and not expired, in the
// order of the file names. It reads each entry's header and key, not its
// value. A damaged entry is yielded as an error wrapping kv.ErrCorrupt,
// and the loop may go on past it; any other error ends the sequence.
func (s *Store) Keys(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range s.scan(ctx, "keys", scope{}, false) {
			if !yield(e.Key, err) {
				return
			}
		}
	}
}

// All yields every entry present and not expired, under the rules of
// Keys. It reads whole files and verifies their checksums.
func (s *Store) All(ctx context.Context) iter.Seq2[kv.Entry[string, []byte], error] {
	return s.scan(ctx, "all", scope{}, true)
}

// scan lists the directory once and yields the live entries in it that sc
// lists, with their values when withValues is set. A file whose name
// tells sc does not want it is not opened. Each file is read under the
// read lock, which is not held while yield runs.
func (s *Store) scan(ctx context.Context, op string, sc scope, withValues bool) iter.Seq2[kv.Entry[string, []byte], error] {
	return func(yield func(kv.Entry[string, []byte], error) bool) {
		var zero kv.Entry[string, []byte]
		if err := s.gate.Begin(ctx); err != nil {
			yield(zero, errs.Err(op, err))
			return
		}
		names, err := s.readNames()
		s.gate.End()
		if err != nil {
			yield(zero, errs.Err(op, err))
			return
		}
		// Sorted so that the order is stable across calls and platforms.
		slices.Sort(names)
		for _, name := range names {
			if !isEntryName(name) || !sc.mayHold(name) {
				continue
			}
			if err := s.gate.Begin(ctx); err != nil {
				yield(zero, errs.Err(op, err))
				return
			}
			err = s.fault(faultIterate)
			var e kv.Entry[string, []byte]
			var live bool
			if err == nil {
				e, live, err = s.readEntry(name, withValues)
			}
			s.gate.End()
			if err != nil {
				if !errors.Is(err, kv.ErrCorrupt) {
					yield(zero, errs.Err(op, err))
					return
				}
				if !yield(zero, s.scanErr(op, name, err)) {
					return
				}
				continue
			}
			if live && sc.wants(e.Key) && !yield(e, nil) {
				return
			}
		}
	}
}

// scanErr wraps the error reading the entry file name: it names the key
// when the file name gives it, else the file.
func (s *Store) scanErr(op, name string, err error) error {
	if k, ok := keyFromName(name); ok {
		return errs.Key(op, k, err)
	}
	return errs.Err(op+" "+name, err)
}

// readEntry reads the entry file name. live is false when the file is
// gone or expired.
func (s *Store) readEntry(name string, withValue bool) (e kv.Entry[string, []byte], live bool, err error) {
	ef, err := s.readFile(name, withValue)
	if errors.Is(err, fs.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	if fileName(ef.key) != name {
		return e, false, corrupt("%s holds another key", name)
	}
	if s.now.Expired(ef.h.expiresAt) {
		return e, false, nil
	}
	return kv.Entry[string, []byte]{Key: ef.key, Value: ef.value, ExpiresAt: ef.h.expiresAt}, true, nil
}

// Close releases the directory (a store made by New leaves its os.Root
// open). Later calls fail with kv.ErrClosed; Close itself is idempotent.
// The files stay.
func (s *Store) Close() error {
	if !s.gate.Close() || !s.ownsRoot {
		return nil
	}
	return errs.Err("close", s.root.Close())
}

var _ kv.Store[string, []byte] = (*Store)(nil)
