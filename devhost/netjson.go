package devhost

// The Functions host serializes the invocation envelope with Newtonsoft.Json
// (JsonMediaTypeFormatter, compact). These helpers write JSON the same way so
// the handler sees the host's bytes, not Go's: no HTML escaping of < > &,
// short escapes for \b \f \n \r \t, \u00xx (lower-case hex) for other control
// characters and for U+0085, U+2028 and U+2029, and .NET's text forms of
// dates and doubles.

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendNetString appends s as a JSON string literal, escaped as Newtonsoft
// does by default. s must be valid UTF-8 (see netUTF8).
func appendNetString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch c {
			case '"':
				esc = `\"`
			case '\\':
				esc = `\\`
			case '\n':
				esc = `\n`
			case '\r':
				esc = `\r`
			case '\t':
				esc = `\t`
			case '\b':
				esc = `\b`
			case '\f':
				esc = `\f`
			default:
				if c >= 0x20 {
					i++
					continue
				}
				esc = `\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf])
			}
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x85 || r == 0x2028 || r == 0x2029 {
			b = append(b, s[start:i]...)
			b = append(b, `\u`...)
			b = append(b, hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// netStringLiteral is JsonConvert.SerializeObject(s): the JSON text of s.
func netStringLiteral(s string) string { return string(appendNetString(nil, s)) }

// netUTF8 decodes bytes as .NET's Encoding.UTF8.GetString does: each
// maximal ill-formed subsequence becomes one U+FFFD.
func netUTF8(p []byte) string {
	if utf8.Valid(p) {
		return string(p)
	}
	var sb strings.Builder
	sb.Grow(len(p) + 8)
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r != utf8.RuneError || size > 1 {
			sb.WriteRune(r)
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(p[i:])
	}
	return sb.String()
}

// maximalSubpart is the length of the longest prefix of p that starts a
// well-formed UTF-8 sequence but does not complete it (at least 1), per the
// Unicode "maximal subpart" practice .NET follows.
func maximalSubpart(p []byte) int {
	c := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(p); k++ {
		b := p[n]
		if k == 0 {
			if b < lo || b > hi {
				break
			}
		} else if b < 0x80 || b > 0xBF {
			break
		}
		n++
	}
	return n
}

// maxNetTime is DateTime.MaxValue truncated to seconds, the value Service
// Bus reports for a message that never expires.
var maxNetTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

func clampNetTime(t time.Time) time.Time {
	if t.IsZero() || t.After(maxNetTime) {
		return maxNetTime
	}
	return t.UTC()
}

// netDateTime is a DateTime after the host's DateTime.Parse(ToString())
// round trip: ISO text, no zone, no fraction.
func netDateTime(t time.Time) string {
	return clampNetTime(t).Format("2006-01-02T15:04:05")
}

// netDateTimeOffset is the DateTimeOffset equivalent: with "+00:00".
func netDateTimeOffset(t time.Time) string {
	return clampNetTime(t).Format("2006-01-02T15:04:05") + "+00:00"
}

// netRoundtripUTC is how Newtonsoft writes a UTC DateTime inside an object:
// seven fractional digits with trailing zeros dropped, then "Z".
func netRoundtripUTC(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if ns := t.Nanosecond() / 100; ns > 0 {
		frac := strings.TrimRight(strconv.Itoa(ns + 1e7)[1:], "0")
		s += "." + frac
	}
	return s + "Z"
}

// netDouble writes a float as Newtonsoft does: .NET's shortest round-trip
// text, with ".0" added to integral values.
func netDouble(f float64) string {
	s := netDoubleText(f)
	if !strings.ContainsAny(s, ".E") {
		s += ".0"
	}
	return s
}

// netDoubleText is Double.ToString(CultureInfo.InvariantCulture): the
// shortest round-trip text, exponent form from 1E+15 and below 1E-05.
func netDoubleText(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	exp := math.Floor(math.Log10(math.Abs(f)))
	if exp >= 15 || exp < -5 {
		// e.g. 1E+20, 1.5E-07: Go writes at least two exponent digits, as .NET does.
		return strconv.FormatFloat(f, 'E', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
