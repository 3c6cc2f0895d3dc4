package httpcache

import (
	"strconv"
	"strings"
)

// sfValue is the value of a Structured Field Dictionary member (RFC 8941
// 3.2), as far as cache directives need it: a Boolean, an Integer, a
// String, a Token, or an Inner List of Strings and Tokens. Other items
// (Decimals, Byte Sequences) parse but keep only their kind.
type sfValue struct {
	kind sfKind
	b    bool
	n    int64
	s    string   // String or Token
	list []string // an Inner List's Strings and Tokens
}

type sfKind uint8

const (
	sfBoolean sfKind = iota
	sfInteger
	sfString
	sfToken
	sfInnerList
	sfOther
)

// sfMember is one member of a Dictionary, in field order.
type sfMember struct {
	key string
	val sfValue
}

// parseSFDictionary parses a Structured Field Dictionary (RFC 8941
// 4.2.2), the field lines joined with commas. It returns false when the
// value is not one: the whole field is then to be ignored (RFC 8941 4.2).
// Parameters are parsed and dropped: no cache directive has any.
func parseSFDictionary(lines []string) ([]sfMember, bool) {
	p := sfParser{s: strings.Join(lines, ",")}
	p.skip(" ")
	var out []sfMember
	for !p.done() {
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		val := sfValue{kind: sfBoolean, b: true}
		if p.peek() == '=' {
			p.i++
			if val, ok = p.memberValue(); !ok {
				return nil, false
			}
		}
		if !p.parameters() {
			return nil, false
		}
		out = setMember(out, key, val)
		p.skip(" \t")
		if p.done() {
			break
		}
		if p.peek() != ',' {
			return nil, false
		}
		p.i++
		p.skip(" \t")
		if p.done() {
			return nil, false // a trailing comma
		}
	}
	return out, true
}

// setMember sets key in members: a repeated key keeps its first place and
// takes the last value (RFC 8941 4.2.2).
func setMember(members []sfMember, key string, val sfValue) []sfMember {
	for i := range members {
		if members[i].key == key {
			members[i].val = val
			return members
		}
	}
	return append(members, sfMember{key, val})
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) skip(chars string) {
	for !p.done() && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool   { return isLCAlpha(c) || (c >= 'A' && c <= 'Z') }

// key parses a key: lcalpha or "*", then lcalpha, digits, "_-.*".
func (p *sfParser) key() (string, bool) {
	start := p.i
	if c := p.peek(); !isLCAlpha(c) && c != '*' {
		return "", false
	}
	for p.i++; !p.done(); p.i++ {
		if c := p.s[p.i]; !isLCAlpha(c) && !isDigit(c) && strings.IndexByte("_-.*", c) < 0 {
			break
		}
	}
	return p.s[start:p.i], true
}

// memberValue parses an Item or an Inner List, without its parameters.
func (p *sfParser) memberValue() (sfValue, bool) {
	if p.peek() != '(' {
		return p.bareItem()
	}
	p.i++
	v := sfValue{kind: sfInnerList}
	for {
		p.skip(" ")
		if p.peek() == ')' {
			p.i++
			return v, true
		}
		item, ok := p.bareItem()
		if !ok || !p.parameters() {
			return v, false
		}
		if item.kind == sfString || item.kind == sfToken {
			v.list = append(v.list, item.s)
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return v, false
		}
	}
}

// parameters parses and drops ";key[=item]" parameters.
func (p *sfParser) parameters() bool {
	for p.peek() == ';' {
		p.i++
		p.skip(" ")
		if _, ok := p.key(); !ok {
			return false
		}
		if p.peek() == '=' {
			p.i++
			if _, ok := p.bareItem(); !ok {
				return false
			}
		}
	}
	return true
}

// bareItem parses an Integer, Decimal, String, Token, Byte Sequence or
// Boolean (RFC 8941 4.2.3.1).
func (p *sfParser) bareItem() (sfValue, bool) {
	switch c := p.peek(); {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case isAlpha(c) || c == '*':
		return p.token(), true
	case c == ':':
		return p.bytes()
	case c == '?':
		return p.boolean()
	}
	return sfValue{}, false
}

// number parses an Integer (at most 15 digits) or a Decimal (at most 12
// digits, a dot, 1 to 3 digits).
func (p *sfParser) number() (sfValue, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits, dot := 0, -1
	for ; !p.done(); p.i++ {
		c := p.s[p.i]
		if c == '.' && dot < 0 {
			dot = digits
			continue
		}
		if !isDigit(c) {
			break
		}
		digits++
	}
	switch {
	case digits == 0 || !isDigit(p.s[p.i-1]):
		return sfValue{}, false // no digit, or a dot last
	case dot < 0 && digits <= 15:
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		return sfValue{kind: sfInteger, n: n}, err == nil
	case dot >= 0 && dot <= 12 && digits-dot <= 3:
		return sfValue{kind: sfOther}, true
	}
	return sfValue{}, false
}

// str parses a String: printable ASCII in quotes, with \" and \\ escapes.
func (p *sfParser) str() (sfValue, bool) {
	var b strings.Builder
	for p.i++; !p.done(); p.i++ {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return sfValue{kind: sfString, s: b.String()}, true
		case c == '\\':
			p.i++
			if p.done() || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return sfValue{}, false
			}
			b.WriteByte(p.s[p.i])
		case c < 0x20 || c > 0x7e:
			return sfValue{}, false
		default:
			b.WriteByte(c)
		}
	}
	return sfValue{}, false // no closing quote
}

// token parses a Token: ALPHA or "*", then tchar, ":" and "/".
func (p *sfParser) token() sfValue {
	start := p.i
	for p.i++; !p.done() && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/'); p.i++ {
	}
	return sfValue{kind: sfToken, s: p.s[start:p.i]}
}

func isTchar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// bytes parses a Byte Sequence: base64 between colons.
func (p *sfParser) bytes() (sfValue, bool) {
	for p.i++; !p.done(); p.i++ {
		c := p.s[p.i]
		if c == ':' {
			p.i++
			return sfValue{kind: sfOther}, true
		}
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return sfValue{}, false
		}
	}
	return sfValue{}, false
}

// boolean parses ?0 or ?1.
func (p *sfParser) boolean() (sfValue, bool) {
	p.i++
	switch p.peek() {
	case '0', '1':
		v := sfValue{kind: sfBoolean, b: p.s[p.i] == '1'}
		p.i++
		return v, true
	}
	return sfValue{}, false
}
