package main

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// lsQuery is what ls selects and in which order.
type lsQuery struct {
	URL     string `name:"url" placeholder:"GLOB" help:"Only URLs matching GLOB (* matches any characters, / included; ? one)."`
	Status  int    `placeholder:"N" help:"Only responses of status N."`
	Expired bool   `help:"Only stale responses." xor:"freshness"`
	Fresh   bool   `help:"Only fresh responses." xor:"freshness"`
	Limit   int    `placeholder:"N" help:"At most N rows (0: all)."`
	Sort    string `default:"url" enum:"url,size,expires" help:"Order of the rows: url, size (largest first) or expires (soonest first)."`
}

// check rejects what the flags cannot mean.
func (q lsQuery) check() error {
	if q.Limit < 0 {
		return usageError{fmt.Errorf("ls: --limit must be 0 or more")}
	}
	return nil
}

// apply returns the infos q selects, in its order, at most q.Limit.
func (q lsQuery) apply(infos []httpcache.EntryInfo, now time.Time) []httpcache.EntryInfo {
	glob := globRegexp(q.URL)
	var rows []httpcache.EntryInfo
	for _, info := range infos {
		if q.keeps(info, glob, now) {
			rows = append(rows, info)
		}
	}
	slices.SortStableFunc(rows, q.order())
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	return rows
}

func (q lsQuery) keeps(info httpcache.EntryInfo, glob *regexp.Regexp, now time.Time) bool {
	stale := !info.Expires.IsZero() && !info.Expires.After(now)
	switch {
	case glob != nil && !glob.MatchString(info.URL):
		return false
	case q.Status != 0 && info.StatusCode != q.Status:
		return false
	case q.Expired && !stale, q.Fresh && stale:
		return false
	}
	return true
}

// order compares rows for q.Sort; ties go by URL, then method.
func (q lsQuery) order() func(a, b httpcache.EntryInfo) int {
	byURL := func(a, b httpcache.EntryInfo) int {
		return cmp.Or(strings.Compare(a.URL, b.URL), strings.Compare(a.Method, b.Method))
	}
	switch q.Sort {
	case "size":
		return func(a, b httpcache.EntryInfo) int { return cmp.Or(cmp.Compare(b.Size, a.Size), byURL(a, b)) }
	case "expires":
		return func(a, b httpcache.EntryInfo) int { return cmp.Or(compareExpires(a.Expires, b.Expires), byURL(a, b)) }
	}
	return byURL
}

// compareExpires orders expiry times soonest first, never (zero) last.
func compareExpires(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// globRegexp turns a glob into an anchored regexp: * matches any run of
// characters, ? one character, everything else itself. Empty: nil.
func globRegexp(glob string) *regexp.Regexp {
	if glob == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
