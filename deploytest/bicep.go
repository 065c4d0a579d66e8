package deploytest

import (
	"fmt"
	"regexp"
	"strings"
)

// BicepFile is the part of a Bicep file the configuration check reads:
// parameters with their default expressions, variables and resources. It is
// a reader for the plain templates in infra/, not a Bicep compiler (none is
// available where the tests run): it understands statements, strings
// (including interpolation and triple-quoted multi-line strings), comments and object
// literals, and leaves expressions as text.
type BicepFile struct {
	Params    map[string]string // name → default expression ("" when none)
	Vars      map[string]string // name → expression
	Outputs   map[string]string // name → expression
	Resources []BicepResource
}

// BicepResource is one `resource` declaration.
type BicepResource struct {
	Symbol string // symbolic name
	Type   string // e.g. Microsoft.ServiceBus/namespaces/queues (no API version)
	Body   string // the object literal, from { to }
}

// Prop is one property of a Bicep object literal: its key and the
// expression text of its value.
type Prop struct {
	Key   string
	Value string
}

var (
	reParam    = regexp.MustCompile(`^param\s+(\w+)\s+[\w.]+(?:\s*=\s*([\s\S]*))?$`)
	reVar      = regexp.MustCompile(`^var\s+(\w+)\s*=\s*([\s\S]*)$`)
	reOutput   = regexp.MustCompile(`^output\s+(\w+)\s+[\w.]+\s*=\s*([\s\S]*)$`)
	reResource = regexp.MustCompile(`^resource\s+(\w+)\s+'([^'@]+)@[^']*'\s*(?:existing\s*)?=\s*([\s\S]*)$`)
	reIdent    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ParseBicep reads the statements of a Bicep source.
func ParseBicep(src string) (BicepFile, error) {
	f := BicepFile{Params: map[string]string{}, Vars: map[string]string{}, Outputs: map[string]string{}}
	clean := stripComments(src)
	for _, st := range statements(clean) {
		st = strings.TrimSpace(st)
		switch {
		case strings.HasPrefix(st, "param "):
			m := reParam.FindStringSubmatch(st)
			if m == nil {
				return f, fmt.Errorf("cannot read parameter declaration %q", firstLine(st))
			}
			f.Params[m[1]] = strings.TrimSpace(m[2])
		case strings.HasPrefix(st, "var "):
			m := reVar.FindStringSubmatch(st)
			if m == nil {
				return f, fmt.Errorf("cannot read variable declaration %q", firstLine(st))
			}
			f.Vars[m[1]] = strings.TrimSpace(m[2])
		case strings.HasPrefix(st, "output "):
			m := reOutput.FindStringSubmatch(st)
			if m == nil {
				return f, fmt.Errorf("cannot read output declaration %q", firstLine(st))
			}
			f.Outputs[m[1]] = strings.TrimSpace(m[2])
		case strings.HasPrefix(st, "resource "):
			m := reResource.FindStringSubmatch(st)
			if m == nil {
				return f, fmt.Errorf("cannot read resource declaration %q", firstLine(st))
			}
			body, err := firstObject(m[3])
			if err != nil {
				return f, fmt.Errorf("resource %s: %w", m[1], err)
			}
			f.Resources = append(f.Resources, BicepResource{Symbol: m[1], Type: m[2], Body: body})
		}
	}
	return f, nil
}

// ResourcesOfType returns the resources declared with type t.
func (f BicepFile) ResourcesOfType(t string) []BicepResource {
	var out []BicepResource
	for _, r := range f.Resources {
		if strings.EqualFold(r.Type, t) {
			out = append(out, r)
		}
	}
	return out
}

// Resolve returns the string value of expr when it is a string literal
// without interpolation, or a parameter whose default is one. ok is false
// for anything computed at deployment time.
func (f BicepFile) Resolve(expr string) (value string, ok bool) {
	expr = strings.TrimSpace(expr)
	if v, ok := StringLiteral(expr); ok {
		return v, true
	}
	if reIdent.MatchString(expr) {
		if def, isParam := f.Params[expr]; isParam {
			return StringLiteral(def)
		}
	}
	return "", false
}

// ObjectProps lists the top-level properties of an object literal (text
// from { to its matching }), in order. Properties may be separated by new
// lines or commas.
func ObjectProps(obj string) ([]Prop, error) {
	obj = strings.TrimSpace(obj)
	if !strings.HasPrefix(obj, "{") || !strings.HasSuffix(obj, "}") {
		return nil, fmt.Errorf("not an object literal: %q", firstLine(obj))
	}
	inner := obj[1 : len(obj)-1]
	var out []Prop
	for _, item := range splitTopLevel(inner) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, rest, ok := cutKey(item)
		if !ok {
			return nil, fmt.Errorf("cannot read property %q", firstLine(item))
		}
		out = append(out, Prop{Key: key, Value: strings.TrimSpace(rest)})
	}
	return out, nil
}

// PropValue returns the value of the top-level property key of an object literal.
func PropValue(obj, key string) (string, bool) {
	props, err := ObjectProps(obj)
	if err != nil {
		return "", false
	}
	for _, p := range props {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// StringLiteral unquotes a single-quoted Bicep string without
// interpolation; ok is false for any other expression.
func StringLiteral(expr string) (string, bool) {
	expr = strings.TrimSpace(expr)
	if len(expr) < 2 || expr[0] != '\'' || expr[len(expr)-1] != '\'' || strings.HasPrefix(expr, "'''") {
		return "", false
	}
	if skipString(expr, 0) != len(expr) {
		return "", false // more than one string, e.g. 'a' == 'b'
	}
	var b strings.Builder
	body := expr[1 : len(expr)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '$' && i+1 < len(body) && body[i+1] == '{':
			return "", false
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(body[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// skipString returns the index just past the string literal starting at
// s[i] (a single quote), following escapes, ${…} interpolation (which may
// hold strings itself) and triple-quoted multi-line strings. An
// unterminated string runs to the end of s.
func skipString(s string, i int) int {
	if strings.HasPrefix(s[i:], "'''") {
		if j := strings.Index(s[i+3:], "'''"); j >= 0 {
			return i + 3 + j + 3
		}
		return len(s)
	}
	for i++; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == '\'':
			return i + 1
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			i = skipInterpolation(s, i+2) - 1
		}
	}
	return len(s)
}

// skipInterpolation returns the index just past the } closing an
// interpolation whose expression starts at s[i].
func skipInterpolation(s string, i int) int {
	depth := 1
	for i < len(s) {
		switch s[i] {
		case '\'':
			i = skipString(s, i)
			continue
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

// stripComments blanks out // and /* */ comments, keeping strings and line
// breaks, so later scans only need to know about strings.
func stripComments(src string) string {
	b := []byte(src)
	for i := 0; i < len(b); {
		switch {
		case b[i] == '\'':
			i = skipString(src, i)
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			for i < len(b) && !(b[i] == '*' && i+1 < len(b) && b[i+1] == '/') {
				if b[i] != '\n' {
					b[i] = ' '
				}
				i++
			}
			for k := 0; k < 2 && i < len(b); k++ {
				b[i] = ' '
				i++
			}
		default:
			i++
		}
	}
	return string(b)
}

// statements splits comment-free source into top-level statements: a
// statement starts on a line at nesting depth 0 and ends at the first line
// break after which the depth is 0 again.
func statements(src string) []string {
	var out []string
	depth, start := 0, -1
	lineStart := true
	for i := 0; i < len(src); {
		if lineStart && depth == 0 {
			if start >= 0 {
				out = append(out, src[start:i])
				start = -1
			}
			if rest := strings.TrimLeft(src[i:], " \t\r"); rest != "" && rest[0] != '\n' {
				start = i
			}
		}
		lineStart = false
		switch src[i] {
		case '\'':
			i = skipString(src, i)
			continue
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		case '\n':
			lineStart = true
		}
		i++
	}
	if start >= 0 {
		out = append(out, src[start:])
	}
	return out
}

// splitTopLevel splits s at line breaks and commas that are not nested in
// brackets or strings.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '\'':
			i = skipString(s, i)
			continue
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		case '\n', ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
		i++
	}
	return append(out, s[start:])
}

// firstObject returns the object literal starting at the first { of expr
// (the body of `resource x '…' = {`, `= if (…) {` or `= [for …: {`).
func firstObject(expr string) (string, error) {
	i := strings.IndexByte(expr, '{')
	if i < 0 {
		return "", fmt.Errorf("no object literal in %q", firstLine(expr))
	}
	depth := 0
	for j := i; j < len(expr); {
		switch expr[j] {
		case '\'':
			j = skipString(expr, j)
			continue
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return expr[i : j+1], nil
			}
		}
		j++
	}
	return "", fmt.Errorf("unbalanced braces in %q", firstLine(expr))
}

// cutKey splits `key: value` where key is an identifier or a quoted string.
func cutKey(item string) (key, value string, ok bool) {
	if strings.HasPrefix(item, "'") {
		end := skipString(item, 0)
		k, isLit := StringLiteral(item[:end])
		rest := strings.TrimSpace(item[end:])
		if !isLit || !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		return k, rest[1:], true
	}
	k, v, found := strings.Cut(item, ":")
	k = strings.TrimSpace(k)
	if !found || !reIdent.MatchString(k) {
		return "", "", false
	}
	return k, v, true
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
