package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Entity layout in the table (see Tables):
//
//	PartitionKey  "record" or "failure"
//	RowKey        EscapeKey(record key or message id)
//	Value, Value1…  the record (or failure) as ASCII-only JSON, cut into
//	                pieces of at most 32,000 characters (a string property
//	                holds 32K); ValueParts says how many. The names sort
//	                after every other property, so the SDK's request body
//	                (keys in sorted order) carries any non-ASCII text of
//	                the plain columns in its first few hundred bytes, far
//	                from where Azurite could split it (see codec.go)
//	Key, Phase, GuestID, Email         plain columns of a record, for humans
//	MessageId, Key, EventType, Reason  plain columns of a failure (Reason
//	                                   shortened to 1,000 characters)
const (
	partitionRecords  = "record"
	partitionFailures = "failure"
	propJSON          = "Value"
	propJSONParts     = "ValueParts"
	maxPlainColumn    = 1000
)

// entityJSON builds the JSON body of an entity holding data (already
// size-checked by encode) plus the plain columns.
func entityJSON(partition, key string, data []byte, plain map[string]string) ([]byte, error) {
	e := map[string]any{
		"PartitionKey": partition,
		"RowKey":       EscapeKey(key),
	}
	for k, v := range plain {
		e[k] = shorten(v, maxPlainColumn)
	}
	parts := chunks(string(data))
	for i, p := range parts {
		e[jsonProp(i)] = p
	}
	e[propJSONParts] = len(parts)
	return json.Marshal(e)
}

func jsonProp(i int) string {
	if i == 0 {
		return propJSON
	}
	return propJSON + strconv.Itoa(i)
}

func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// entityData reassembles the JSON stored in an entity returned by the
// service, and returns its odata.etag (set in list results).
func entityData(raw []byte) (data []byte, etag string, err error) {
	var e map[string]any
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, "", fmt.Errorf("decode entity: %w", err)
	}
	etag, _ = e["odata.etag"].(string)
	n := 1
	if v, ok := e[propJSONParts].(float64); ok {
		n = int(v)
	}
	if n < 1 || n > maxChunks {
		return nil, "", fmt.Errorf("entity %v/%v: %s = %d is out of range", e["PartitionKey"], e["RowKey"], propJSONParts, n)
	}
	for i := range n {
		s, ok := e[jsonProp(i)].(string)
		if !ok {
			return nil, "", fmt.Errorf("entity %v/%v: property %s missing", e["PartitionKey"], e["RowKey"], jsonProp(i))
		}
		data = append(data, s...)
	}
	return data, etag, nil
}

func recordColumns(rec *workflow.Record) map[string]string {
	return map[string]string{
		"Key":     rec.Key,
		"Phase":   string(rec.Phase),
		"GuestID": rec.GuestID,
		"Email":   rec.Spec.Email,
	}
}

func failureColumns(f workflow.Failure) map[string]string {
	return map[string]string{
		"MessageId": f.MessageID,
		"Key":       f.Key,
		"EventType": f.EventType,
		"Reason":    f.Reason,
	}
}
