package httpcache_test

import (
	"net/http"
	"strings"
	"time"

	"github.com/kvkit/kv/httpcache"
)

// inBothModes returns each case as it is (a private cache) and again in
// shared mode (WithShared(true)).
func inBothModes(cases ...stepsCase) []stepsCase {
	var out []stepsCase
	for _, c := range cases {
		s := c
		s.name = "shared: " + c.name
		s.opts = append(opts(httpcache.WithShared(true)), c.opts...)
		c.name = "private: " + c.name
		out = append(out, c, s)
	}
	return out
}

var inAnHour = epoch.Add(time.Hour)

// Age (RFC 9111 5.1) and Expires (RFC 9111 5.3, RFC 9110 5.6.7) parsing.
// A "\n" in a header value sends several field lines.
var headerParsingCases = inBothModes(
	stepsCase{name: "Age list in one field line: first member (RFC 9111 5.1)", hdr: map[string]string{"Cache-Control": "max-age=3600", "Age": "7200, 0"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Age over two field lines: first (RFC 9111 5.1)", hdr: map[string]string{"Cache-Control": "max-age=3600", "Age": "7200\n0"}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Age list, first member young (RFC 9111 5.1)", hdr: map[string]string{"Cache-Control": "max-age=3600", "Age": "0, 7200"}, steps: []step{
		{want: httpcache.Miss}, {advance: 30 * time.Minute, want: httpcache.Hit, hits: 1}}},
	stepsCase{name: "invalid Age ignored (RFC 9111 5.1)", hdr: map[string]string{"Cache-Control": "max-age=60", "Age": "1.5e3"}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Second, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Second, want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires with two spaces is invalid (RFC 9110 5.6.7)", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), hdr: map[string]string{"Expires": strings.Replace(inAnHour.Format(http.TimeFormat), " ", "  ", 1)}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires with a one-digit hour is invalid (RFC 9110 5.6.7)", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), hdr: map[string]string{"Expires": inAnHour.Format("Mon, 02 Jan 2006 3:04:05 GMT")}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires over two field lines is invalid (RFC 9111 5.3)", opts: opts(httpcache.WithExpireAfter(httpcache.Never())), hdr: map[string]string{"Expires": inAnHour.Format(http.TimeFormat) + "\n" + inAnHour.Format(http.TimeFormat)}, steps: []step{
		{want: httpcache.Miss}, {want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires zone name case-insensitive", hdr: map[string]string{"Expires": strings.Replace(inAnHour.Format(http.TimeFormat), "GMT", "gmt", 1)}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Minute, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Minute, want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires in the obsolete RFC 850 form (RFC 9110 5.6.7)", hdr: map[string]string{"Expires": inAnHour.Format("Monday, 02-Jan-06 15:04:05 GMT")}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Minute, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Minute, want: httpcache.Miss, hits: 2}}},
	stepsCase{name: "Expires in the obsolete asctime form (RFC 9110 5.6.7)", hdr: map[string]string{"Expires": inAnHour.Format(time.ANSIC)}, steps: []step{
		{want: httpcache.Miss}, {advance: 59 * time.Minute, want: httpcache.Hit, hits: 1}, {advance: 2 * time.Minute, want: httpcache.Miss, hits: 2}}},
)

func init() { stepsCases = append(stepsCases, headerParsingCases...) }
