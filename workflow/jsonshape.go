package workflow

import (
	"reflect"
	"sync"
)

// jsonShape is what jsonClean needs of a Go type, worked out once per type
// (reflect.Type.Field allocates on every call) with the walker's rules:
// pointers stand for what they point to, and a kind the walker accepts no
// JSON value for but null is shapeNullOnly.
type jsonShape struct {
	kind   shapeKind
	bits   int          // shapeInt: strconv.ParseInt's bitSize
	elem   *jsonShape   // shapeSlice, shapeAny: the elements' shape
	fields []shapeField // shapeStruct: as jsonField finds them, in order
}

type shapeKind uint8

const (
	shapeAny      shapeKind = iota // no type: only keys are checked
	shapeString                    // a string TextRule accepts
	shapeBool                      // a boolean
	shapeInt                       // an integer that fits bits
	shapeSlice                     // an array of elem
	shapeStruct                    // an object of fields
	shapeNullOnly                  // any other kind (float, map, interface, …)
)

type shapeField struct {
	name      string
	shape     *jsonShape
	multiline bool // tagged text:"multiline"
}

// field is the first field named exactly key, as jsonField finds it.
func (sh *jsonShape) field(key []byte) *shapeField {
	for i := range sh.fields {
		if sh.fields[i].name == string(key) {
			return &sh.fields[i]
		}
	}
	return nil
}

var (
	anyShape = func() *jsonShape { s := &jsonShape{kind: shapeAny}; s.elem = s; return s }()
	shapes   sync.Map // reflect.Type → *jsonShape
)

// shapeOf returns the shape of t (nil: anyShape), cached.
func shapeOf(t reflect.Type) *jsonShape {
	if t == nil {
		return anyShape
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*jsonShape)
	}
	s, _ := shapes.LoadOrStore(t, buildShape(t, map[reflect.Type]*jsonShape{}))
	return s.(*jsonShape)
}

// buildShape builds the shape of t; building holds the shapes under
// construction, so a recursive type refers to itself.
func buildShape(t reflect.Type, building map[reflect.Type]*jsonShape) *jsonShape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := building[t]; ok {
		return s
	}
	s := &jsonShape{kind: shapeNullOnly}
	building[t] = s
	switch {
	case t.Kind() == reflect.String:
		s.kind = shapeString
	case t.Kind() == reflect.Bool:
		s.kind = shapeBool
	case isInt(t):
		s.kind, s.bits = shapeInt, t.Bits()
	case t.Kind() == reflect.Slice:
		s.kind, s.elem = shapeSlice, buildShape(t.Elem(), building)
	case t.Kind() == reflect.Struct:
		s.kind = shapeStruct
		for i := range t.NumField() {
			f := t.Field(i)
			if name, ok := jsonName(f); ok {
				s.fields = append(s.fields, shapeField{name: name, shape: buildShape(f.Type, building), multiline: multilineText(f)})
			}
		}
	}
	return s
}
