package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxShapeProblems bounds how many problems one document reports, so a
// hostile event cannot make its failure reason (stored and logged) huge.
const maxShapeProblems = 20

// maxJSONDepth bounds nesting: the events are three levels deep, and a
// bound keeps a hostile document from driving the walk arbitrarily deep.
const maxJSONDepth = 32

// decodeStrict decodes the JSON object data into v, a pointer to a struct,
// refusing what encoding/json silently accepts (CheckJSON). Every problem is
// a *ValidationError; several come as an ErrorList.
func decodeStrict(data []byte, v any) error {
	problems, ok := CheckJSON(data, reflect.TypeOf(v).Elem())
	if !ok || len(problems) > 0 {
		return JoinErrors(problems...)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err) // CheckJSON let through what encoding/json refuses: still say which field
	}
	return nil
}

// CheckJSON checks a JSON document against the shape of t (a struct type
// whose fields carry json tags; nil accepts any JSON value) and returns
// every problem, each a *ValidationError naming the field by its JSON path
// ("job.jobTitle", "groups[2]"):
//
//   - invalid UTF-8 (encoding/json would replace it silently);
//   - duplicate keys, and keys that differ from another only in case
//     (encoding/json keeps the last and matches names case-insensitively);
//   - with a type: unknown fields, names in another case than the type's,
//     values of the wrong JSON type, non-integer numbers for integers, and
//     text that TextRule refuses (a field tagged `text:"multiline"` may hold
//     tab, CR and LF);
//   - anything after the first value.
//
// ok is false when the document cannot be decoded at all (not JSON, not an
// object where one is needed): then no field-level check can follow.
func CheckJSON(data []byte, t reflect.Type) (problems []error, ok bool) {
	return checkJSON(&jsonWalker{root: "data"}, "", data, t)
}

// CheckJSONDocument is CheckJSON for a document called name (e.g.
// "cloudevent" for a structured CloudEvent): problems of the document are
// reported under name, those of its members as name.member.
func CheckJSONDocument(name string, data []byte, t reflect.Type) (problems []error, ok bool) {
	return checkJSON(&jsonWalker{root: name}, name, data, t)
}

// checkJSON takes the fast path when it proves data clean, and walks it
// token by token to name the problems otherwise.
func checkJSON(w *jsonWalker, start string, data []byte, t reflect.Type) ([]error, bool) {
	if jsonClean(data, t) {
		return nil, true
	}
	return w.check(start, data, t)
}

// check walks data, expected to fit t, and returns its problems.
func (w *jsonWalker) check(start string, data []byte, t reflect.Type) ([]error, bool) {
	if !utf8.Valid(data) {
		w.fail(w.root, "must be valid UTF-8")
		return w.problems, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		w.fail(w.root, "required: the event has no data")
		return w.problems, false
	}
	w.dec = json.NewDecoder(bytes.NewReader(data))
	w.dec.UseNumber()
	if t != nil && t.Kind() == reflect.Struct && firstByte(data) != '{' {
		w.fail(w.root, "must be an object, got "+jsonKindOf(firstByte(data)))
		return w.problems, false
	}
	if !w.value(start, t, false) {
		return w.problems, false
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		w.fail(w.root, "must be a single JSON object")
		return w.problems, false
	}
	return w.finish(), true
}

// jsonWalker walks a document token by token, collecting problems.
type jsonWalker struct {
	root     string // names the document in its problems
	dec      *json.Decoder
	problems []error
	dropped  int
	depth    int
}

func (w *jsonWalker) fail(field, rule string) {
	if len(w.problems) >= maxShapeProblems {
		w.dropped++
		return
	}
	w.problems = append(w.problems, &ValidationError{Field: field, Rule: rule})
}

func (w *jsonWalker) finish() []error {
	if w.dropped > 0 {
		w.problems = append(w.problems, &ValidationError{Field: w.root, Rule: fmt.Sprintf("%d more problems not listed", w.dropped)})
	}
	return w.problems
}

// syntax records a decoding error; the walk cannot go on.
func (w *jsonWalker) syntax(err error) bool {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		w.fail(w.root, fmt.Sprintf("invalid JSON at offset %d: %v", se.Offset, err))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		w.fail(w.root, "invalid JSON: unexpected end of input")
	default:
		w.fail(w.root, "invalid JSON: "+err.Error())
	}
	return false
}

// value walks one value at path, expected to fit t (nil: anything). It
// returns false when the document is not valid JSON.
func (w *jsonWalker) value(path string, t reflect.Type, multiline bool) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		if w.depth++; w.depth > maxJSONDepth {
			w.fail(w.fieldName(path), fmt.Sprintf("nested deeper than %d levels", maxJSONDepth))
			return false
		}
		defer func() { w.depth-- }()
		if tok == '{' {
			if t != nil && t.Kind() != reflect.Struct {
				w.fail(w.fieldName(path), "must be "+typeName(t)+", got an object")
				return w.skip(1)
			}
			return w.object(path, t)
		}
		if t != nil && t.Kind() != reflect.Slice {
			w.fail(w.fieldName(path), "must be "+typeName(t)+", got an array")
			return w.skip(1)
		}
		var elem reflect.Type
		if t != nil {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if !w.value(fmt.Sprintf("%s[%d]", path, i), elem, false) {
				return false
			}
		}
		return w.end()
	case string:
		switch {
		case t == nil:
		case t.Kind() != reflect.String:
			w.fail(w.fieldName(path), "must be "+typeName(t)+", got a string")
		default:
			if rule := TextRule(tok, multiline); rule != "" {
				w.fail(w.fieldName(path), rule)
			}
		}
	case json.Number:
		switch {
		case t == nil:
		case isInt(t):
			if _, err := strconv.ParseInt(tok.String(), 10, t.Bits()); err != nil {
				w.fail(w.fieldName(path), "must be an integer of at most "+strconv.Itoa(t.Bits())+" bits, got "+shown(tok.String()))
			}
		default:
			w.fail(w.fieldName(path), "must be "+typeName(t)+", got a number")
		}
	case bool:
		if t != nil && t.Kind() != reflect.Bool {
			w.fail(w.fieldName(path), "must be "+typeName(t)+", got a boolean")
		}
	case nil:
		// null leaves the field unset, as encoding/json does; required
		// fields are checked by the caller.
	}
	return true
}

// object walks the members of an object whose '{' was read.
func (w *jsonWalker) object(path string, t reflect.Type) bool {
	seen := map[string]string{} // lower-case key → key as first seen
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		key, _ := tok.(string)
		kp := joinPath(path, key)
		if first, dup := seen[strings.ToLower(key)]; dup {
			if first == key {
				w.fail(kp, "duplicate key")
			} else {
				w.fail(kp, fmt.Sprintf("duplicates %s in another case (keys are case-sensitive)", shown(first)))
			}
			if !w.skipValue() {
				return false
			}
			continue
		}
		seen[strings.ToLower(key)] = key
		var ft reflect.Type
		multiline := false
		if t != nil {
			f, found := jsonField(t, key)
			if !found {
				rule := "unknown field"
				if name, ok := jsonFieldFold(t, key); ok {
					rule = fmt.Sprintf("unknown field: names are case-sensitive, did you mean %q?", name)
				}
				w.fail(kp, rule)
				if !w.skipValue() {
					return false
				}
				continue
			}
			ft, multiline = f.Type, multilineText(f)
		}
		if !w.value(kp, ft, multiline) {
			return false
		}
	}
	return w.end()
}

// end reads the closing delimiter of an object or array.
func (w *jsonWalker) end() bool {
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err)
	}
	return true
}

// skipValue consumes one value without checking it.
func (w *jsonWalker) skipValue() bool {
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return w.skip(1)
	}
	return true
}

// skip consumes tokens until depth open delimiters are closed.
func (w *jsonWalker) skip(depth int) bool {
	for depth > 0 {
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return true
}

// jsonField finds the struct field whose JSON name is exactly key.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, ok := jsonName(f); ok && name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is the JSON name of f, and whether the checks see f at all
// (exported, not tagged "-"): the rule the walker (jsonField) and the fast
// path (buildShape) both find fields by.
func jsonName(f reflect.StructField) (name string, ok bool) {
	name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	return name, name != "-" && f.IsExported()
}

// multilineText reports whether f is tagged text:"multiline", so its text
// may hold tab, CR and LF (TextRule).
func multilineText(f reflect.StructField) bool {
	return f.Tag.Get("text") == "multiline"
}

// jsonFieldFold finds the JSON name that equals key but for case.
func jsonFieldFold(t reflect.Type, key string) (string, bool) {
	for i := range t.NumField() {
		if name, ok := jsonName(t.Field(i)); ok && strings.EqualFold(name, key) {
			return name, true
		}
	}
	return "", false
}

// joinPath appends key to a JSON path; keys that are not plain names are
// quoted (and shortened) so a field name cannot carry a line break or a
// look-alike path into a log.
func joinPath(path, key string) string {
	if !plainKey(key) {
		key = shown(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// fieldName is path, or the document's name for the document itself.
func (w *jsonWalker) fieldName(path string) string {
	if path == "" {
		return w.root
	}
	return path
}

// shown quotes a value for an error message, shortened to 40 characters,
// with control characters escaped.
func shown(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// typeName names the JSON type a Go type decodes from.
func typeName(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case isInt(t):
		return "an integer"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// firstByte is the first non-space byte of data (0 if none).
func firstByte(data []byte) byte {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 {
		return t[0]
	}
	return 0
}

// jsonKindOf names the JSON value that starts with b.
func jsonKindOf(b byte) string {
	switch {
	case b == '[':
		return "an array"
	case b == '"':
		return "a string"
	case b == 't' || b == 'f':
		return "a boolean"
	case b == 'n':
		return "null"
	case b == '-' || b >= '0' && b <= '9':
		return "a number"
	}
	return "something that is not JSON"
}
