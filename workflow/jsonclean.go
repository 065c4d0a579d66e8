package workflow

import (
	"encoding/json"
	"reflect"
	"unicode/utf8"
)

// jsonClean reports whether data certainly has none of the problems
// CheckJSON would report against t, in one pass over the bytes that
// allocates nothing. It is CheckJSON's fast path: the jsonWalker, which
// reads the document with json.Decoder.Token (several allocations per
// token), runs only when jsonClean cannot prove a document clean.
//
// jsonClean mirrors the walker's rules, each refusal being "not proved":
// anything the walker would report, and anything this scanner does not
// handle itself (keys that are empty, not ASCII or escaped; surrogate
// escapes in checked text; more than maxCleanKeys keys in the objects it is
// inside at once) make it return false, never a different answer. TestJSONCleanAgreesWithWalker
// and FuzzJSONClean hold it to that.
func jsonClean(data []byte, t reflect.Type) bool {
	if !utf8.Valid(data) || !json.Valid(data) {
		return false // the walker names the problem (or the scanner may assume valid JSON below)
	}
	s := cleanScanner{data: data}
	s.space()
	if t != nil && t.Kind() == reflect.Struct && s.data[s.pos] != '{' {
		return false // the walker refuses even null here
	}
	return s.value(shapeOf(t), false, 0)
}

// maxCleanKeys bounds the keys of the objects jsonClean is inside at once,
// which it compares pairwise for duplicates: larger documents go to the
// walker, which uses a map.
const maxCleanKeys = 64

// cleanScanner walks a document that json.Valid accepted, so it checks no
// grammar, only the walker's rules.
type cleanScanner struct {
	data  []byte
	pos   int
	keys  [maxCleanKeys]span // the keys of the objects being walked, innermost last
	nkeys int
}

// span is where a key lies in the document: data[start:end].
type span struct{ start, end int }

func (s *cleanScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// value scans the value at s.pos, expected to fit sh; depth is the nesting
// of the containers around it (jsonWalker.depth).
func (s *cleanScanner) value(sh *jsonShape, multiline bool, depth int) bool {
	switch c := s.data[s.pos]; c {
	case '{':
		if depth+1 > maxJSONDepth || sh.kind != shapeAny && sh.kind != shapeStruct {
			return false
		}
		return s.object(sh, depth+1)
	case '[':
		if depth+1 > maxJSONDepth || sh.kind != shapeAny && sh.kind != shapeSlice {
			return false
		}
		return s.array(sh.elem, depth+1)
	case '"':
		start := s.pos
		s.str()
		switch sh.kind {
		case shapeAny:
			return true
		case shapeString:
			return textClean(s.data[start+1:s.pos-1], multiline)
		}
		return false
	case 'n':
		s.pos += len("null")
		return true // null leaves any field unset
	case 't':
		s.pos += len("true")
		return sh.kind == shapeAny || sh.kind == shapeBool
	case 'f':
		s.pos += len("false")
		return sh.kind == shapeAny || sh.kind == shapeBool
	}
	start := s.pos
	for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
		s.pos++
	}
	switch sh.kind {
	case shapeAny:
		return true
	case shapeInt:
		return intFits(s.data[start:s.pos], sh.bits)
	}
	return false
}

// object scans an object; s.pos is at its '{'.
func (s *cleanScanner) object(sh *jsonShape, depth int) bool {
	s.pos++
	s.space()
	if s.data[s.pos] == '}' {
		s.pos++
		return true
	}
	first := s.nkeys
	for {
		start := s.pos
		if s.str() {
			return false // an escaped key: the walker compares it unescaped
		}
		key := s.data[start+1 : s.pos-1]
		if !asciiKey(key) || s.nkeys == maxCleanKeys {
			return false
		}
		for _, k := range s.keys[first:s.nkeys] {
			if equalFoldASCII(s.data[k.start:k.end], key) {
				return false // duplicate key, or one in another case
			}
		}
		s.keys[s.nkeys] = span{start + 1, s.pos - 1}
		s.nkeys++
		s.space()
		s.pos++ // ':'
		s.space()
		fsh, multiline := sh, false
		if sh.kind == shapeStruct {
			f := sh.field(key)
			if f == nil {
				return false // unknown field
			}
			fsh, multiline = f.shape, f.multiline
		}
		if !s.value(fsh, multiline, depth) {
			return false
		}
		s.space()
		if s.data[s.pos] == '}' {
			s.pos++
			s.nkeys = first
			return true
		}
		s.pos++ // ','
		s.space()
	}
}

// array scans an array of elements expected to fit elem; s.pos is at '['.
func (s *cleanScanner) array(elem *jsonShape, depth int) bool {
	s.pos++
	s.space()
	if s.data[s.pos] == ']' {
		s.pos++
		return true
	}
	for {
		if !s.value(elem, false, depth) {
			return false
		}
		s.space()
		if s.data[s.pos] == ']' {
			s.pos++
			return true
		}
		s.pos++ // ','
		s.space()
	}
}

// str moves past the string at s.pos and reports whether it holds escapes.
func (s *cleanScanner) str() (escaped bool) {
	s.pos++
	for {
		switch s.data[s.pos] {
		case '"':
			s.pos++
			return escaped
		case '\\':
			escaped = true
			s.pos++
		}
		s.pos++
	}
}

// textClean reports whether TextRule accepts the string whose raw JSON
// content (between the quotes) is raw. Escapes are decoded as
// encoding/json does; a surrogate escape is left to the walker.
func textClean(raw []byte, multiline bool) bool {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c >= 0x20 && c < 0x7f && c != '\\':
			i++
			continue
		case c == '\\':
			r, n := unescape(raw[i:])
			if r < 0 {
				return false
			}
			if forbiddenRune(r, multiline) != "" {
				return false
			}
			i += n
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		if forbiddenRune(r, multiline) != "" {
			return false
		}
		i += n
	}
	return true
}

// unescape decodes the escape at the start of b (valid JSON) into the rune
// it stands for and its length; r < 0 for a surrogate.
func unescape(b []byte) (r rune, n int) {
	switch b[1] {
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		for _, h := range b[2:6] {
			switch {
			case h >= '0' && h <= '9':
				r = r<<4 | rune(h-'0')
			case h >= 'a' && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			default:
				r = r<<4 | rune(h-'A'+10)
			}
		}
		if r >= 0xD800 && r < 0xE000 {
			return -1, 6
		}
		return r, 6
	}
	return rune(b[1]), 2 // '"', '\\', '/'
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// intFits reports whether strconv.ParseInt(lit, 10, bits) succeeds for a
// JSON number literal.
func intFits(lit []byte, bits int) bool {
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 || len(lit) > 19 {
		return false // 19 digits cannot overflow a uint64
	}
	var u uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return false // a fraction or an exponent
		}
		u = u*10 + uint64(c-'0')
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		return u <= limit
	}
	return u < limit
}

// asciiKey: a non-empty key of ASCII bytes, so that comparing it ASCII
// case-insensitively finds exactly the keys the walker's strings.ToLower
// map finds (a non-ASCII key such as the Kelvin sign lowers to ASCII).
func asciiKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
