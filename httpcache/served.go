package httpcache

import (
	"bytes"
	"net/http"
	"strconv"
)

// statusLines holds the Status of a response ("200 OK") for every code
// net/http names, so that serving a stored response does not build it.
var statusLines = func() (lines [600]string) {
	for code := range lines {
		if text := http.StatusText(code); text != "" {
			lines[code] = strconv.Itoa(code) + " " + text
		}
	}
	return lines
}()

// statusLine returns the Status of a response with code: the code and
// its text, as net/http writes it ("299 " for a code it does not name).
func statusLine(code int) string {
	if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// storedBody is the body of a response served from the cache: a reader
// of the stored bytes (never written to), whose Close does nothing.
type storedBody struct{ bytes.Reader }

// Close does nothing: the bytes belong to the stored response.
func (*storedBody) Close() error { return nil }

// servedResponse is a response served from the cache with its body, in
// one allocation.
type servedResponse struct {
	resp http.Response
	body storedBody
}

// newServedResponse returns a response whose Body reads body.
func newServedResponse(body []byte) *http.Response {
	s := &servedResponse{}
	s.body.Reset(body)
	s.resp.Body = &s.body
	s.resp.ContentLength = int64(len(body))
	return &s.resp
}
