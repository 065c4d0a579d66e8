package workflow

import "encoding/json"

// HasJSONMember reports whether doc is a JSON object with a member named
// exactly name (after unescaping, as json.Unmarshal into a map sees it),
// without decoding the document: the handler asks it of every structured
// CloudEvent (data together with data_base64).
func HasJSONMember(doc []byte, name string) bool {
	if !json.Valid(doc) {
		return false
	}
	s := cleanScanner{data: doc}
	s.space()
	if s.data[s.pos] != '{' {
		return false
	}
	s.pos++
	s.space()
	for s.data[s.pos] != '}' {
		start := s.pos
		if escaped := s.str(); escaped {
			var key string
			if json.Unmarshal(s.data[start:s.pos], &key) == nil && key == name {
				return true
			}
		} else if string(s.data[start+1:s.pos-1]) == name {
			return true
		}
		s.space()
		s.pos++ // ':'
		s.space()
		s.skip()
		s.space()
		if s.data[s.pos] == ',' {
			s.pos++
			s.space()
		}
	}
	return false
}

// skip moves past the value at s.pos.
func (s *cleanScanner) skip() {
	depth := 0
	for {
		switch c := s.data[s.pos]; {
		case c == '"':
			s.str()
		case c == '{' || c == '[':
			depth++
			s.pos++
		case c == '}' || c == ']':
			depth--
			s.pos++
		case depth == 0: // a number or a literal
			for s.pos < len(s.data) && (isNumberByte(s.data[s.pos]) || s.data[s.pos] >= 'a' && s.data[s.pos] <= 'z') {
				s.pos++
			}
		default: // whitespace, ',', ':' and scalars inside a container
			s.pos++
		}
		if depth == 0 {
			return
		}
	}
}
