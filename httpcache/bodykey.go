package httpcache

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"
)

// normalizeBody returns the form of a request body that is hashed into
// its key (methods with a body, WithAllowedMethods): an
// application/x-www-form-urlencoded body loses its ignored parameters
// (WithIgnoredParams, credentials) and has the rest sorted, as a query
// does; a JSON body (application/json, or a +json type) loses its ignored
// top-level members and is re-encoded with its object keys sorted and no
// whitespace. Any other body, or one that does not parse, is hashed as it
// is. So requests that differ only in those ways share an entry, as they
// do in requests-cache.
func (o *options) normalizeBody(contentType string, body []byte) []byte {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		return []byte(o.normalizeQuery(string(body)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return o.normalizeJSON(body)
	}
	return body
}

// normalizeJSON drops the ignored top-level members of a JSON object and
// re-encodes it (encoding/json writes object keys sorted). Numbers keep
// their text.
func (o *options) normalizeJSON(body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return body
	}
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			if o.ignoredParams[strings.ToLower(k)] {
				delete(m, k)
			}
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}
