package main

import (
	"fmt"
	"io"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/stores"
	"github.com/schollz/progressbar/v3"
)

type copyCmd struct {
	From  string `required:"" help:"Store URL to copy from."`
	To    string `required:"" help:"Store URL to copy to."`
	Batch int    `default:"100" help:"Entries written per batch."`
}

// Run copies every live entry of From to To with its remaining lifetime,
// in batches. Copying is idempotent: an interrupted copy is finished by
// running it again, which rewrites what was already copied.
func (cp *copyCmd) Run(e *env, _ *cli) error {
	if cp.From == cp.To {
		return usageError{fmt.Errorf("copy: --from and --to name the same store")}
	}
	if cp.Batch < 1 {
		return usageError{fmt.Errorf("copy: --batch must be at least 1")}
	}
	src, err := stores.Open(e.ctx, cp.From)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := stores.Open(e.ctx, cp.To)
	if err != nil {
		return err
	}
	defer dst.Close()

	total, err := src.Len(e.ctx)
	if err != nil {
		return fmt.Errorf("copy: count entries of %s: %w", stores.Redact(cp.From), err)
	}
	progress := newProgress(e, total)
	copied, skipped := 0, 0
	batch := make([]kv.Entry[string, []byte], 0, cp.Batch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := kv.SetMany(e.ctx, dst, batch); err != nil {
			return fmt.Errorf("copy: write to %s: %w", stores.Redact(cp.To), err)
		}
		copied += len(batch)
		progress.add(len(batch))
		batch = batch[:0]
		return nil
	}
	for entry, err := range src.All(e.ctx) {
		if err != nil {
			return fmt.Errorf("copy: read %s after %d entries: %w", stores.Redact(cp.From), copied, err)
		}
		if kv.Expired(entry.ExpiresAt, time.Now()) {
			skipped++ // expired while we copied
			continue
		}
		batch = append(batch, entry)
		if len(batch) == cp.Batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	progress.done()
	fmt.Fprintf(e.stdout, "copied %d entries from %s to %s", copied, stores.Redact(cp.From), stores.Redact(cp.To))
	if skipped > 0 {
		fmt.Fprintf(e.stdout, " (%d expired on the way)", skipped)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// progress reports a copy's progress: a bar on a terminal, a line per
// second otherwise.
type progress struct {
	bar   *progressbar.ProgressBar
	out   io.Writer
	total int
	n     int
	last  time.Time
}

func newProgress(e *env, total int) *progress {
	p := &progress{out: e.stderr, total: total, last: time.Now()}
	if e.isTTY {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("copying"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
		)
	}
	return p
}

func (p *progress) add(n int) {
	p.n += n
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	if time.Since(p.last) >= time.Second {
		fmt.Fprintf(p.out, "copied %d of about %d entries\n", p.n, p.total)
		p.last = time.Now()
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
	}
}
