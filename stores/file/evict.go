package file

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/kvkit/kv"
)

// DeleteExpired removes every expired entry file and every temp file older
// than StaleTempAge, and returns how many entries it removed. It never
// removes an entry that another writer replaced while it ran. Damaged
// entry files are left for the caller to Delete.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	if err := s.gate.BeginWrite(ctx); err != nil {
		return 0, errs.Err("delete expired", err)
	}
	names, err := s.readNames()
	if err == nil {
		err = s.removeStaleTemps(names)
	}
	s.gate.End()
	if err != nil {
		return 0, errs.Err("delete expired", err)
	}
	n := 0
	for _, name := range names {
		if !isEntryName(name) {
			continue
		}
		if err := s.gate.BeginWrite(ctx); err != nil {
			return n, errs.Err("delete expired", err)
		}
		removed, err := s.removeIfExpired(name)
		s.gate.End()
		if err != nil {
			return n, errs.Err("delete expired", err)
		}
		if removed {
			n++
		}
	}
	return n, nil
}

func (s *Store) removeIfExpired(name string) (bool, error) {
	ef, err := s.readFile(name, false)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, kv.ErrCorrupt) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !s.now.Expired(ef.h.expiresAt) {
		return false, nil
	}
	return s.removeIfSame(name, ef.info)
}

// removeIfSame removes the file name if it is still the file described by
// seen, and reports whether it did. A plain Remove could delete an entry
// that another writer renamed into place after the caller looked at the
// old one; instead the file is first renamed away (which is atomic), then
// compared, and put back with a hard link, which never replaces an even
// newer entry, when it turns out to be a newer one. It holds the entry's
// lock, so no conditional write finds the entry missing meanwhile.
func (s *Store) removeIfSame(name string, seen os.FileInfo) (bool, error) {
	l, err := s.lockEntry(name, lockShared)
	if err != nil {
		return false, err
	}
	defer l.unlock()
	tmp := tempName()
	if err := s.root.Rename(name, tmp); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	got, err := s.root.Lstat(tmp)
	if err == nil && os.SameFile(seen, got) {
		if err := s.root.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return true, nil
	}
	// A newer entry: put it back unless a yet newer one is there now.
	if err := s.root.Link(tmp, name); err != nil && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
		// No hard links on this filesystem: a rename may replace a
		// newer entry still, in a far smaller window.
		if err := s.root.Rename(tmp, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	if err := s.root.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return false, nil
}

// evict measures the entry files and, when they total more than the
// bound, removes the least recently used (oldest modification time: Set
// writes the file, Get and Has set its time to now) until they total at
// most 90% of it, so that a pass is not needed again on the next Set.
func (s *Store) evict(ctx context.Context) error {
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	base := s.size.Load()
	if base <= s.maxBytes {
		return nil // another goroutine's pass came first
	}
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	type file struct {
		name  string
		size  int64
		mtime time.Time
		info  os.FileInfo
	}
	files := make([]file, 0, len(entries))
	var total int64
	for _, de := range entries {
		if !isEntryName(de.Name()) || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		files = append(files, file{de.Name(), fi.Size(), fi.ModTime(), fi})
		total += fi.Size()
	}
	if total > s.maxBytes {
		slices.SortFunc(files, func(a, b file) int {
			return cmp.Or(a.mtime.Compare(b.mtime), cmp.Compare(a.name, b.name))
		})
		target := s.maxBytes - s.maxBytes/10
		for _, f := range files {
			if total <= target {
				break
			}
			if err := ctx.Err(); err != nil {
				s.size.Add(total - base)
				return err
			}
			removed, err := s.removeIfSame(f.name, f.info)
			if err != nil {
				s.size.Add(total - base)
				return err
			}
			if removed {
				total -= f.size
			}
		}
	}
	// Files written while the pass ran were added to s.size after base
	// was read; keep them counted (twice, if the listing saw them too,
	// which only makes the next pass come sooner).
	s.size.Add(total - base)
	return nil
}
