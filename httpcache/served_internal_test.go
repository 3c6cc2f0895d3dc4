package httpcache

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestStatusLine checks the precomputed Status against how it was built
// before (the code, a space, its text), for named codes, codes net/http
// does not name and codes out of the table.
func TestStatusLine(t *testing.T) {
	for _, code := range []int{200, 203, 206, 299, 304, 404, 418, 599, 600, 999, 0, -1} {
		if got, want := statusLine(code), strconv.Itoa(code)+" "+http.StatusText(code); got != want {
			t.Errorf("statusLine(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestServedResponseBody checks that the body of a served response reads
// the stored bytes, as a WriterTo (so io.Copy does not copy through a
// buffer), and that closing it leaves the stored bytes alone.
func TestServedResponseBody(t *testing.T) {
	stored := []byte("stored body")
	resp := newServedResponse(stored)
	if resp.ContentLength != int64(len(stored)) {
		t.Errorf("ContentLength = %d, want %d", resp.ContentLength, len(stored))
	}
	if _, ok := resp.Body.(io.WriterTo); !ok {
		t.Errorf("body %T is not an io.WriterTo", resp.Body)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != "stored body" {
		t.Errorf("body = %q, %v", got, err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if string(stored) != "stored body" {
		t.Errorf("stored bytes changed: %q", stored)
	}
}

// TestCloneHeader checks the copy of a stored header: every field and
// value, nil values kept, fields with several values (more than the
// shared allocation has room for) included, extra slots apart from the
// copied values, and no value slice shared with the stored header or
// with room to append into another field's values.
func TestCloneHeader(t *testing.T) {
	for _, h := range []http.Header{
		{},
		{"A": {"1"}},
		{"A": {"1"}, "B": {"2"}, "C": nil},
		{"Set-Cookie": {"a=1", "b=2", "c=3"}, "A": {"1"}},
		{"Set-Cookie": {"a=1", "b=2", "c=3"}, "Link": {"x", "y"}, "A": {"1"}, "B": {"2"}},
	} {
		out, extra := cloneHeader(h, 3)
		if len(extra) != 3 || cap(extra) != 3 {
			t.Errorf("%v: extra has len %d cap %d, want 3 and 3", h, len(extra), cap(extra))
		}
		if len(out) != len(h) {
			t.Errorf("%v: copy has %d fields, want %d", h, len(out), len(h))
		}
		for k, vv := range h {
			got, ok := out[k]
			if !ok || (vv == nil) != (got == nil) || !slices.Equal(got, vv) {
				t.Errorf("%v: field %s = %q, want %q", h, k, got, vv)
			}
			if cap(got) != len(got) {
				t.Errorf("%v: field %s has cap %d, len %d: an append would write into a neighbour", h, k, cap(got), len(got))
			}
			if len(got) > 0 {
				got[0] = "changed"
				if vv[0] == "changed" {
					t.Errorf("%v: field %s shares its values with the stored header", h, k)
				}
			}
		}
		for i := range extra {
			extra[i] = "extra"
		}
		for k, vv := range out {
			if slices.Contains(vv, "extra") {
				t.Errorf("%v: the extra slots overlap field %s", h, k)
			}
		}
	}
}
