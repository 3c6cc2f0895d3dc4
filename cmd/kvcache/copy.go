package main

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/kvkit/kv"
	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
	"github.com/schollz/progressbar/v3"
)

type copyCmd struct {
	From          string `required:"" placeholder:"URL" help:"Store URL of the cache to copy from (opened read-only; it must exist)."`
	To            string `required:"" placeholder:"URL" help:"Store URL to copy to (created if needed)."`
	FromRedirects string `name:"from-redirects" placeholder:"URL" help:"Store URL of the source's redirect aliases, when kept apart."`
	ToRedirects   string `name:"to-redirects" placeholder:"URL" help:"Store URL for the copied redirect aliases (required with --from-redirects)."`
	Batch         int    `default:"100" help:"Entries written per batch."`
}

// Run copies every live entry of From to To with its remaining lifetime,
// in batches, and the redirect aliases when they are kept apart. Entries
// the destination already holds with the same value are skipped, so an
// interrupted copy is finished by running it again.
func (cp *copyCmd) Run(e *env) error {
	if cp.From == cp.To {
		return usageError{fmt.Errorf("copy: --from and --to name the same store")}
	}
	if (cp.FromRedirects == "") != (cp.ToRedirects == "") {
		return usageError{fmt.Errorf("copy: --from-redirects and --to-redirects go together")}
	}
	if cp.Batch < 1 {
		return usageError{fmt.Errorf("copy: --batch must be at least 1")}
	}
	c := &copier{e: e, batch: cp.Batch}
	err := c.copy(cp.From, cp.To)
	if err == nil && cp.FromRedirects != "" {
		err = c.copy(cp.FromRedirects, cp.ToRedirects)
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return resumable{fmt.Sprintf("copy: interrupted after %s; run the same command again to finish (what was copied is skipped)", plural(c.responses, "entry", "entries")), err}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "copied %s from %s to %s", plural(c.responses, "entry", "entries"), stores.Redact(cp.From), stores.Redact(cp.To))
	if c.present > 0 {
		fmt.Fprintf(e.stdout, " (%d already there)", c.present)
	}
	if c.expired > 0 {
		fmt.Fprintf(e.stdout, " (%d expired on the way)", c.expired)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// copier copies stores and counts what it copied. Only responses are
// counted as entries: variant lists and redirect aliases are part of
// them.
type copier struct {
	e         *env
	batch     int
	responses int // responses written
	present   int // responses the destination already held
	expired   int // entries that expired before they were read
}

func (c *copier) copy(from, to string) error {
	src, err := stores.OpenReadOnly(c.e.ctx, from)
	if err != nil {
		return missing(from, err)
	}
	defer src.Close()
	dst, err := stores.Open(c.e.ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()

	total, err := src.Len(c.e.ctx)
	if err != nil {
		return fmt.Errorf("copy: count entries of %s: %w", stores.Redact(from), err)
	}
	w := &batchWriter{c: c, dst: dst, to: to, progress: newProgress(c.e, total)}
	for entry, err := range src.All(c.e.ctx) {
		if err != nil {
			return fmt.Errorf("copy: read %s: %w", stores.Redact(from), err)
		}
		if kv.Expired(entry.ExpiresAt, time.Now()) {
			c.expired++
			continue
		}
		if err := w.add(entry); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.progress.done()
	return nil
}

// batchWriter writes entries to dst in batches of c.batch, skipping those
// dst already holds with the same value.
type batchWriter struct {
	c        *copier
	dst      kv.Store[string, []byte]
	to       string
	batch    []kv.Entry[string, []byte]
	progress *progress
}

func (w *batchWriter) add(e kv.Entry[string, []byte]) error {
	w.batch = append(w.batch, e)
	if len(w.batch) < w.c.batch {
		return nil
	}
	return w.flush()
}

func (w *batchWriter) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	ctx := w.c.e.ctx
	keys := make([]string, len(w.batch))
	for i, e := range w.batch {
		keys[i] = e.Key
	}
	have, err := kv.GetMany(ctx, w.dst, keys)
	if err != nil {
		return fmt.Errorf("copy: read %s: %w", stores.Redact(w.to), err)
	}
	todo, present := missingEntries(w.batch, have)
	if err := kv.SetMany(ctx, w.dst, todo); err != nil {
		return fmt.Errorf("copy: write to %s: %w", stores.Redact(w.to), err)
	}
	w.c.responses += countResponses(todo)
	w.c.present += countResponses(present)
	w.progress.add(len(w.batch))
	w.batch = w.batch[:0]
	return nil
}

// missingEntries splits batch into the entries have lacks or holds with
// another value, and those it holds already.
func missingEntries(batch []kv.Entry[string, []byte], have map[string][]byte) (todo, present []kv.Entry[string, []byte]) {
	for _, e := range batch {
		if v, ok := have[e.Key]; ok && bytes.Equal(v, e.Value) {
			present = append(present, e)
		} else {
			todo = append(todo, e)
		}
	}
	return todo, present
}

var responseCodec = kv.CBOR[*httpcache.Response]()

// countResponses counts the entries that are stored responses (not
// variant lists, redirect aliases or anything else).
func countResponses(entries []kv.Entry[string, []byte]) int {
	n := 0
	for _, e := range entries {
		if r, err := responseCodec.Decode(e.Value); err == nil && r != nil && r.Version == httpcache.FormatVersion && r.Kind == httpcache.KindResponse {
			n++
		}
	}
	return n
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
		fmt.Fprintf(p.out, "copied %d of about %d keys\n", p.n, p.total)
		p.last = time.Now()
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
	}
}
