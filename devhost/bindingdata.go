package devhost

import (
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bindingData is the host's binding-data dictionary as it becomes
// Metadata: keys compare case-insensitively (StringComparer.
// OrdinalIgnoreCase), so setting an existing key replaces its value but
// keeps its first spelling and place; a nil value is null, which the host
// drops; keys ending in "trigger" are never sent (reference §3, §5.1).
type bindingData struct {
	keys []string
	vals [][]byte // JSON text of each value, nil for null
	idx  map[string]int
}

func (d *bindingData) set(key string, val []byte) {
	if d.idx == nil {
		d.idx = map[string]int{}
	}
	k := strings.ToLower(key)
	if i, ok := d.idx[k]; ok {
		d.vals[i] = val
		return
	}
	d.idx[k] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, val)
}

// has reports whether key is set (to a value or to null).
func (d *bindingData) has(key string) bool {
	_, ok := d.idx[strings.ToLower(key)]
	return ok
}

// write appends the dictionary as a JSON object.
func (d *bindingData) write(b []byte) []byte {
	w := newObj(b)
	for i, k := range d.keys {
		if d.vals[i] == nil || strings.HasSuffix(strings.ToLower(k), "trigger") {
			continue
		}
		w.raw(k, d.vals[i])
	}
	return w.close()
}

// textValue is how a value the host passes through
// JsonConvert.SerializeObject arrives: a JSON string holding jsonText.
func textValue(jsonText string) []byte { return appendNetString(nil, jsonText) }

// stringValue is a .NET string in Metadata: doubly encoded.
func stringValue(s string) []byte { return textValue(netStringLiteral(s)) }

// optStringValue is stringValue, or null for an empty (unset) property.
func optStringValue(s string) []byte {
	if s == "" {
		return nil
	}
	return stringValue(s)
}

// applyBodyBindingData adds the top-level properties of a JSON object body
// to d, as the host's Utility.ApplyBindingData does for a string trigger
// value (reference §5.1): the body, trimmed, must start with '{' and end
// with '}' and parse (else nothing is added); null and array values are
// skipped; an object stays an object; anything else becomes its .NET text
// ((string)JValue), doubly encoded. Json.NET reads ISO date-time strings
// as dates, so "2024-05-01T12:34:56Z" arrives as "05/01/2024 12:34:56"
// (invariant culture; an offset is converted to the host's zone, taken to
// be UTC as on Azure), and booleans as "True"/"False".
func applyBodyBindingData(d *bindingData, body string) {
	t := strings.TrimSpace(body)
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	obj, err := readJSON(dec)
	if err != nil || obj.kind != '{' {
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		return // trailing content: JObject.Parse fails
	}
	for i, k := range obj.keys {
		v := obj.vals[i]
		switch v.kind {
		case 'n', '[':
			continue
		case '{':
			d.set(k, v.appendNet(nil))
		default:
			d.set(k, textValue(netStringLiteral(v.netText())))
		}
	}
}

// jsonNode is a parsed JSON value that keeps object key order, as a
// JToken does: kind '{' object, '[' array, 's' string, '0' number, 'b'
// bool, 'n' null.
type jsonNode struct {
	kind  byte
	str   string // string text, number literal, "true"/"false"
	keys  []string
	vals  []*jsonNode // object values (by key) or array elements
	index map[string]int
}

func readJSON(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &jsonNode{kind: byte(v)}
		if v == '{' {
			n.index = map[string]int{}
		}
		for dec.More() {
			var key string
			if n.kind == '{' {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key = kt.(string)
			}
			val, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			if n.kind == '[' {
				n.vals = append(n.vals, val)
				continue
			}
			if i, dup := n.index[key]; dup { // Json.NET: a repeated name replaces the value in place
				n.vals[i] = val
				continue
			}
			n.index[key] = len(n.keys)
			n.keys = append(n.keys, key)
			n.vals = append(n.vals, val)
		}
		if _, err := dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jsonNode{kind: 's', str: v}, nil
	case json.Number:
		return &jsonNode{kind: '0', str: v.String()}, nil
	case bool:
		return &jsonNode{kind: 'b', str: strconv.FormatBool(v)}, nil
	default:
		return &jsonNode{kind: 'n'}, nil
	}
}

// isFloat reports whether Json.NET reads the number as a double (it has a
// fraction or an exponent) rather than an integer.
func (n *jsonNode) isFloat() bool { return strings.ContainsAny(n.str, ".eE") }

// netText is (string)JValue: the .NET text of a scalar.
func (n *jsonNode) netText() string {
	switch n.kind {
	case 's':
		if t, _, ok := netParseDate(n.str); ok {
			return t.Format("01/02/2006 15:04:05")
		}
		return n.str
	case 'b':
		if n.str == "true" {
			return "True"
		}
		return "False"
	case '0':
		if n.isFloat() {
			f, _ := strconv.ParseFloat(n.str, 64)
			return netDoubleText(f)
		}
		return netInteger(n.str)
	}
	return ""
}

// appendNet writes the value as Json.NET serializes the parsed JToken:
// strings it read as dates in ISO round-trip form, doubles in .NET's form.
func (n *jsonNode) appendNet(b []byte) []byte {
	switch n.kind {
	case '{':
		w := newObj(b)
		for i, k := range n.keys {
			w.key(k)
			w.b = n.vals[i].appendNet(w.b)
		}
		return w.close()
	case '[':
		b = append(b, '[')
		for i, v := range n.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.appendNet(b)
		}
		return append(b, ']')
	case 's':
		if t, kind, ok := netParseDate(n.str); ok {
			return appendNetString(b, netISODate(t, kind))
		}
		return appendNetString(b, n.str)
	case '0':
		if n.isFloat() {
			f, _ := strconv.ParseFloat(n.str, 64)
			return append(b, netDouble(f)...)
		}
		return append(b, netInteger(n.str)...)
	case 'b':
		return append(b, n.str...)
	}
	return append(b, "null"...)
}

// netInteger is an integer literal as .NET prints the parsed Int64 or
// BigInteger: no sign on zero.
func netInteger(lit string) string {
	if strings.TrimLeft(lit, "-0") == "" {
		return "0"
	}
	return lit
}

// dateKind is a parsed DateTime's Kind.
type dateKind int

const (
	kindUnspecified dateKind = iota // no zone in the text
	kindUTC                         // "Z"
	kindLocal                       // an offset: converted to the host's zone (UTC)
)

var reNetDate = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(Z|[+-]\d{2}(?::?\d{2})?)?$`)
})

// netParseDate recognises the ISO 8601 date-times Json.NET's reader turns
// into DateTime values (DateParseHandling.DateTime).
func netParseDate(s string) (time.Time, dateKind, bool) {
	m := reNetDate().FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, 0, false
	}
	num := func(i int) int { n, _ := strconv.Atoi(m[i]); return n }
	y, mo, d, h, mi, sec := num(1), num(2), num(3), num(4), num(5), num(6)
	var ns int
	if m[7] != "" {
		frac := (m[7][1:] + "000000000")[:9]
		ns, _ = strconv.Atoi(frac)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, 0, false
	}
	switch zone := m[8]; {
	case zone == "":
		return t, kindUnspecified, true
	case zone == "Z":
		return t, kindUTC, true
	default:
		z := strings.ReplaceAll(zone[1:], ":", "")
		oh, _ := strconv.Atoi(z[:2])
		om := 0
		if len(z) == 4 {
			om, _ = strconv.Atoi(z[2:])
		}
		off := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if zone[0] == '-' {
			off = -off
		}
		return t.Add(-off), kindLocal, true
	}
}

// netISODate is Json.NET's ISO form of a DateTime: seven fraction digits
// at most, trailing zeros dropped, then the zone its Kind implies.
func netISODate(t time.Time, kind dateKind) string {
	s := strings.TrimSuffix(netRoundtripUTC(t), "Z")
	switch kind {
	case kindUTC:
		return s + "Z"
	case kindLocal:
		return s + "+00:00"
	}
	return s
}
