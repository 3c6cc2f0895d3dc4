package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/kvkit/kv/httpcache"
	"github.com/kvkit/kv/stores"
)

type lsCmd struct {
	cacheFlags
	lsQuery
	JSON bool `name:"json" help:"Print one JSON object per line instead of a table."`
}

func (l *lsCmd) Run(e *env) error {
	if err := l.lsQuery.check(); err != nil {
		return err
	}
	return withTransport(e.ctx, l.cacheFlags, readOnly, func(_ *cache, t *httpcache.Transport) error {
		infos, err := entries(e, t)
		if err != nil {
			return fmt.Errorf("ls: %w", err)
		}
		now := time.Now()
		rows := l.lsQuery.apply(infos, now)
		if l.JSON {
			return listJSON(e.stdout, rows)
		}
		return listTable(e.stdout, rows, now)
	})
}

// entries reads every stored response of t.
func entries(e *env, t *httpcache.Transport) ([]httpcache.EntryInfo, error) {
	var infos []httpcache.EntryInfo
	for info, err := range t.Entries(e.ctx) {
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

func listTable(out io.Writer, rows []httpcache.EntryInfo, now time.Time) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tSIZE\tEXPIRES\tMETHOD\tURL")
	for _, info := range rows {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", info.StatusCode, size(int64(info.Size)), expires(info.Expires, now), info.Method, info.URL)
	}
	return w.Flush()
}

// entryJSON is one line of ls --json.
type entryJSON struct {
	URL     string     `json:"url"`
	Method  string     `json:"method"`
	Status  int        `json:"status"`
	Size    int        `json:"size"`
	Stored  time.Time  `json:"stored"`
	Expires *time.Time `json:"expires"` // null: never
	Fresh   bool       `json:"fresh"`
	Key     string     `json:"key"`
}

func listJSON(out io.Writer, rows []httpcache.EntryInfo) error {
	enc := json.NewEncoder(out)
	for _, info := range rows {
		j := entryJSON{URL: info.URL, Method: info.Method, Status: info.StatusCode, Size: info.Size,
			Stored: info.Stored.UTC(), Fresh: info.Fresh, Key: info.Key}
		if !info.Expires.IsZero() {
			x := info.Expires.UTC()
			j.Expires = &x
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
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

type statsCmd struct {
	cacheFlags
	statsFlags
	JSON bool `name:"json" help:"Print one JSON object instead of a table."`
}

// summary is what stats prints.
type summary struct {
	Store     string    `json:"store"`
	Responses int       `json:"responses"`
	Fresh     int       `json:"fresh"`
	Stale     int       `json:"stale"`
	BodyBytes int64     `json:"body_bytes"`
	Requests  *counters `json:"requests"` // null: none recorded
}

// summarize counts infos; n is the recorded counters.
func summarize(store string, infos []httpcache.EntryInfo, n counters) summary {
	s := summary{Store: stores.Redact(store), Responses: len(infos)}
	for _, info := range infos {
		s.BodyBytes += int64(info.Size)
		if info.Fresh {
			s.Fresh++
		}
	}
	s.Stale = s.Responses - s.Fresh
	if n.total() > 0 {
		s.Requests = &n
	}
	return s
}

func (s *statsCmd) Run(e *env) error {
	return withTransport(e.ctx, s.cacheFlags, readOnly, func(_ *cache, t *httpcache.Transport) error {
		infos, err := entries(e, t)
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		n, err := s.counters(e)
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		sum := summarize(s.Store, infos, n)
		if s.JSON {
			return json.NewEncoder(e.stdout).Encode(sum)
		}
		return printSummary(e.stdout, sum)
	})
}

// counters reads the cache's counters; none when the stats store does
// not exist yet.
func (s *statsCmd) counters(e *env) (counters, error) {
	st, err := openStats(e.ctx, s.statsFlags, s.Store, readOnly)
	if isNotExist(err) {
		return counters{}, nil
	}
	if err != nil {
		return counters{}, err
	}
	defer st.Close()
	return st.load(e.ctx)
}

func printSummary(out io.Writer, s summary) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "store\t%s\n", s.Store)
	fmt.Fprintf(w, "responses\t%d (%d fresh, %d stale)\n", s.Responses, s.Fresh, s.Stale)
	fmt.Fprintf(w, "body bytes\t%s\n", size(s.BodyBytes))
	if n := s.Requests; n == nil {
		fmt.Fprintf(w, "hit ratio\tunknown (no request recorded)\n")
	} else {
		served := n.Hit + n.Stale + n.Revalidated
		fmt.Fprintf(w, "hit ratio\t%.1f%% (%d of %d requests answered from the cache)\n", 100*float64(served)/float64(n.total()), served, n.total())
		fmt.Fprintf(w, "requests\thit %d, miss %d, stale %d, revalidated %d, bypass %d\n", n.Hit, n.Miss, n.Stale, n.Revalidated, n.Bypass)
	}
	return w.Flush()
}

type purgeCmd struct{ cacheFlags }

func (p *purgeCmd) Run(e *env) error {
	return withTransport(e.ctx, p.cacheFlags, existing, func(_ *cache, t *httpcache.Transport) error {
		n, err := t.DeleteExpired(e.ctx)
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", plural(n, "expired response", "expired responses"))
		return nil
	})
}

// plural is "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

type clearCmd struct {
	cacheFlags
	statsFlags
}

func (c *clearCmd) Run(e *env) error {
	return withTransport(e.ctx, c.cacheFlags, existing, func(_ *cache, t *httpcache.Transport) error {
		if err := t.Clear(e.ctx); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		st, err := openStats(e.ctx, c.statsFlags, c.Store, existing)
		if err == nil {
			err = errors.Join(st.clear(e.ctx), st.Close())
		}
		if err != nil && !isNotExist(err) {
			return fmt.Errorf("clear counters: %w", err)
		}
		fmt.Fprintln(e.stdout, "cleared")
		return nil
	})
}

type rmCmd struct {
	cacheFlags
	URLs []string `arg:"" name:"url" help:"URL whose stored responses (GET and HEAD, every variant) and redirect alias to delete."`
}

func (r *rmCmd) Run(e *env) error {
	return withTransport(e.ctx, r.cacheFlags, existing, func(_ *cache, t *httpcache.Transport) error {
		for _, u := range r.URLs {
			before, err := countURL(e, t, u)
			if err != nil {
				return fmt.Errorf("rm: %w", err)
			}
			if err := t.DeleteURL(e.ctx, u); err != nil {
				return fmt.Errorf("rm %s: %w", u, err)
			}
			fmt.Fprintf(e.stdout, "deleted %s of %s\n", plural(before, "response", "responses"), u)
		}
		return nil
	})
}

// countURL counts the stored responses of rawURL.
func countURL(e *env, t *httpcache.Transport, rawURL string) (int, error) {
	infos, err := entries(e, t)
	n := 0
	for _, info := range infos {
		if info.URL == rawURL {
			n++
		}
	}
	return n, err
}
