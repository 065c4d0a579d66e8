package workflow

import "strings"

// ErrorList is several errors reported at once, e.g. every invalid field of
// an event. Like errors.Join it unwraps to its members, so errors.As and
// errors.Is find a *ValidationError or *PolicyError inside; unlike
// errors.Join its message is one line ("a: b; c: d"), so a reason stays one
// log line and one cell of the dead-letter listing.
type ErrorList []error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, err := range l {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the members (the errors.Join convention).
func (l ErrorList) Unwrap() []error { return l }

// JoinErrors returns nil for no errors, the error itself for one, and an
// ErrorList otherwise. Nil errors are dropped and nested lists flattened.
func JoinErrors(errs ...error) error {
	var out ErrorList
	for _, err := range errs {
		switch e := err.(type) {
		case nil:
		case ErrorList:
			out = append(out, e...)
		default:
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}
