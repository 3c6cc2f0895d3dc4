package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
	"time"
)

type lsCmd struct{}

func (lsCmd) Run(e *env, c *cli) error {
	return withTransport(e.ctx, c.Store, func(_ *cache, t *httpcache.Transport) error {
		return list(e, t)
	})
}

func list(e *env, t *httpcache.Transport) error {

	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tSIZE\tEXPIRES\tMETHOD\tURL")
	now := time.Now()
	for info, err := range t.Entries(e.ctx) {
		if err != nil {
			return fmt.Errorf("ls: %w", err)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", info.StatusCode, size(int64(info.Size)), expires(info.Expires, now), info.Method, info.URL)
	}
	return w.Flush()
}

// expires says when an entry goes stale, relative to now.
func expires(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "never"
	case !t.After(now):
		return "stale"
	default:
		return "in " + t.Sub(now).Round(time.Second).String()
	}
}

// size prints n bytes for people.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	}
}

type statsCmd struct{}

func (statsCmd) Run(e *env, c *cli) error {
	return withTransport(e.ctx, c.Store, func(ch *cache, t *httpcache.Transport) error {
		return stats(e, c.Store, ch, t)
	})
}

func stats(e *env, store string, ch *cache, t *httpcache.Transport) error {

	var entries, fresh int
	var bytes int64
	for info, err := range t.Entries(e.ctx) {
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		entries++
		bytes += int64(info.Size)
		if info.Fresh {
			fresh++
		}
	}
	n, err := ch.loadStats(e.ctx)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "store\t%s\n", stores.Redact(store))
	fmt.Fprintf(w, "responses\t%d (%d fresh, %d stale)\n", entries, fresh, entries-fresh)
	fmt.Fprintf(w, "body bytes\t%s\n", size(bytes))
	if n.total() == 0 {
		fmt.Fprintf(w, "hit ratio\tunknown (no request recorded)\n")
	} else {
		served := n.Hit + n.Stale + n.Revalidated
		fmt.Fprintf(w, "hit ratio\t%.1f%% (%d of %d requests answered from the cache)\n", 100*float64(served)/float64(n.total()), served, n.total())
		fmt.Fprintf(w, "requests\thit %d, miss %d, stale %d, revalidated %d, bypass %d\n", n.Hit, n.Miss, n.Stale, n.Revalidated, n.Bypass)
	}
	return w.Flush()
}

type purgeCmd struct{}

func (purgeCmd) Run(e *env, c *cli) error {
	return withTransport(e.ctx, c.Store, func(_ *cache, t *httpcache.Transport) error {
		n, err := t.DeleteExpired(e.ctx)
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		fmt.Fprintf(e.stdout, "deleted %d expired responses\n", n)
		return nil
	})
}

type clearCmd struct{}

func (clearCmd) Run(e *env, c *cli) error {
	return withTransport(e.ctx, c.Store, func(ch *cache, t *httpcache.Transport) error {
		if err := t.Clear(e.ctx); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		if err := ch.stats.Clear(e.ctx); err != nil {
			return fmt.Errorf("clear counters: %w", err)
		}
		fmt.Fprintln(e.stdout, "cleared")
		return nil
	})
}
