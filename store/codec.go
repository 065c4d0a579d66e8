package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Table Storage limits that shape how a record is stored: a string
// property holds at most 64 KiB, i.e. 32K UTF-16 code units, and an entity
// at most 1 MiB (strings count two bytes per code unit) and 255 properties.
const (
	// chunkUnits is the size of one JSON property, under the 32,768-unit
	// limit of a string property.
	chunkUnits = 32000
	// maxChunks bounds the JSON properties of one entity: 15 × 32,000
	// units = 960,000 bytes, leaving room in the 1 MiB entity for the
	// keys and the plain columns.
	maxChunks = 15
	// MaxJSONUnits is the largest record (or failure) JSON any store
	// accepts, in UTF-16 code units (ASCII: one per byte).
	MaxJSONUnits = chunkUnits * maxChunks
)

// ErrTooLarge is wrapped by the error Save (or SaveFailure) returns when
// the JSON of the value exceeds MaxJSONUnits.
var ErrTooLarge = errors.New("too large for one Table Storage entity")

// encode marshals v and enforces MaxJSONUnits, so that every store refuses
// what Table Storage would refuse.
func encode(op, what, key string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: encode %s %q: %w", op, what, key, err)
	}
	if n := utf16Len(b); n > MaxJSONUnits {
		return nil, &workflow.PermanentError{
			Op:     op,
			Reason: fmt.Sprintf("%s %q is %d UTF-16 code units of JSON, at most %d fit in one Table Storage entity", what, key, n, MaxJSONUnits),
			Err:    ErrTooLarge,
		}
	}
	return b, nil
}

// utf16Len counts the UTF-16 code units of UTF-8 text (invalid bytes count
// as one, as U+FFFD would).
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// splitUnits cuts s at rune boundaries into pieces of at most max UTF-16
// code units each.
func splitUnits(s string, max int) []string {
	var parts []string
	start, units := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > max {
			parts = append(parts, s[start:i])
			start, units = i, 0
		}
		units += w
	}
	return append(parts, s[start:])
}

func decodeRecord(op, key string, data []byte, etag string) (workflow.Record, error) {
	var rec workflow.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return workflow.Record{}, fmt.Errorf("%s %q: decode record: %w", op, key, err)
	}
	rec.ETag = etag
	return rec, nil
}

func decodeFailure(op, id string, data []byte) (workflow.Failure, error) {
	var f workflow.Failure
	if err := json.Unmarshal(data, &f); err != nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: decode failure: %w", op, id, err)
	}
	return f, nil
}
