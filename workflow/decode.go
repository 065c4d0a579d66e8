package workflow

import (
	"bytes"
	"encoding/json"
)

// decodeStrict decodes JSON event data, rejecting unknown fields, into v;
// errors are *ValidationError.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}
