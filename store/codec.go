package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/b2b-onboarding/onboard/workflow"
)

// How a record is stored is shaped by Table Storage limits: a string
// property holds at most 32K characters (64 KiB of UTF-16), an entity at
// most 1 MiB and 255 properties. Every store keeps values as ASCII-only
// JSON (non-ASCII characters as \uXXXX escapes), so one character is one
// byte is one UTF-16 unit, sizes mean the same everywhere, and a request
// body never has a multi-byte character for Azurite to break (its table
// service decodes request bodies chunk by chunk and corrupts characters
// that straddle a chunk boundary: Azure/Azurite#2670).
const (
	// chunkBytes is the size of one JSON property, under the 32,768
	// character limit of a string property.
	chunkBytes = 32000
	// maxChunks bounds the JSON properties of one entity.
	maxChunks = 15
	// MaxJSONBytes is the largest record (or failure) any store accepts,
	// as ASCII-only JSON: 15 properties of 32,000 characters, 960,000
	// bytes of UTF-16 in Table Storage, leaving room in the 1 MiB entity
	// for the keys and plain columns (and, as a request body with quotes
	// escaped, under Azurite's 1 MiB body check).
	MaxJSONBytes = chunkBytes * maxChunks
)

// ErrTooLarge is wrapped by the error Save (or SaveFailure) returns when
// the JSON of the value exceeds MaxJSONBytes.
var ErrTooLarge = errors.New("too large for one Table Storage entity")

// encode marshals v to ASCII-only JSON and enforces MaxJSONBytes, so that
// every store refuses what Table Storage would refuse.
func encode(op, what, key string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: encode %s %q: %w", op, what, key, err)
	}
	b = asciiJSON(b)
	if len(b) > MaxJSONBytes {
		return nil, &workflow.PermanentError{
			Op:     op,
			Reason: fmt.Sprintf("%s %q is %d bytes of JSON, at most %d fit in one Table Storage entity", what, key, len(b), MaxJSONBytes),
			Err:    ErrTooLarge,
		}
	}
	return b, nil
}

// encodeRecord checks rec's key and encodes rec: what every store's Save
// does before it writes anything.
func encodeRecord(op string, rec *workflow.Record) ([]byte, error) {
	if err := checkKey(op, "record key", rec.Key); err != nil {
		return nil, err
	}
	return encode(op, "record", rec.Key, rec)
}

// encodeFailure checks f's message id and encodes f: what every store's
// SaveFailure does before it writes anything.
func encodeFailure(op string, f workflow.Failure) ([]byte, error) {
	if err := checkKey(op, "failure message id", f.MessageID); err != nil {
		return nil, err
	}
	return encode(op, "failure", f.MessageID, f)
}

// asciiJSON rewrites the non-ASCII characters of JSON text (which can only
// occur inside string literals) as \uXXXX escapes, surrogate pairs for
// characters beyond the BMP. The result decodes to the same value.
func asciiJSON(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, len(b)+len(b)/4)
	esc := func(u uint16) {
		out = append(out, '\\', 'u', hexDigits[u>>12], hexDigits[u>>8&0xf], hexDigits[u>>4&0xf], hexDigits[u&0xf])
	}
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			out = append(out, b[0])
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			esc(uint16(r1))
			esc(uint16(r2))
		} else {
			esc(uint16(r))
		}
	}
	return out
}

// chunks cuts ASCII text into pieces of at most chunkBytes.
func chunks(s string) []string {
	var parts []string
	for len(s) > chunkBytes {
		parts = append(parts, s[:chunkBytes])
		s = s[chunkBytes:]
	}
	return append(parts, s)
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
