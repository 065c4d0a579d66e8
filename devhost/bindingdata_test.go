package devhost

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// metadataOf builds a Service Bus envelope for body and returns its
// Metadata object as text.
func metadataOf(t *testing.T, binary bool, body string) string {
	t.Helper()
	m := ReceivedMessage{Message: Message{MessageID: "id", Body: []byte(body), Subject: "orig"},
		SequenceNumber: 7, DeliveryCount: 1, LockToken: "tok", EnqueuedTime: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	env := serviceBusEnvelope("msg", binary, m, clientInfo{"ns", "ns-guid"}, sysData{"F", time.Date(2024, 5, 1, 0, 0, 1, 0, time.UTC), "g"})
	var e struct{ Metadata json.RawMessage }
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, env)
	}
	return string(e.Metadata)
}

// TestStringModeBodyPropertiesBecomeMetadata checks reference §5.1.
func TestStringModeBodyPropertiesBecomeMetadata(t *testing.T) {
	const sys = `"sys":{"MethodName":"F","UtcNow":"2024-05-01T00:00:01Z","RandGuid":"g"}`
	body := `{"subject":"ada@x.com","type":"t","replyTo":"me","deliveryCount":5,"mytrigger":"x","list":[1],"nothing":null,` +
		`"flag":true,"n":1.0,"big":12345678901234567890,"when":"2024-05-01T14:34:56+02:00",` +
		`"nested":{"at":"2024-05-01T12:34:56.500Z","f":2.50,"i":3,"s":"<&>"}}`
	md := metadataOf(t, false, body)
	for _, want := range []string{
		`"DeliveryCount":"\"5\""`,   // replaced in place, now a string
		`"ReplyTo":"\"me\""`,        // null before, visible at its place
		`"Subject":"\"ada@x.com\""`, // replaced …
		`"Label":"\"orig\""`,        // … but not its alias
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Metadata lacks %s:\n%s", want, md)
		}
	}
	if strings.Contains(md, `"ContentType"`) {
		t.Errorf("null ContentType sent: %s", md)
	}
	if i, j := strings.Index(md, `"MessageId"`), strings.Index(md, `"ReplyTo"`); i < 0 || j < i || j > strings.Index(md, `"SequenceNumber"`) {
		t.Errorf("ReplyTo not in its place (after MessageId, before SequenceNumber):\n%s", md)
	}
	wantTail := sys + `,"type":"\"t\"","flag":"\"True\"","n":"\"1\"","big":"\"12345678901234567890\"",` +
		`"when":"\"05/01/2024 12:34:56\"","nested":{"at":"2024-05-01T12:34:56.5Z","f":2.5,"i":3,"s":"<&>"}}`
	if !strings.HasSuffix(md, wantTail) {
		t.Errorf("body keys after sys:\n got %s\nwant suffix %s", md, wantTail)
	}
	for _, never := range []string{"mytrigger", `"list"`, `"nothing"`} {
		if strings.Contains(md, never) {
			t.Errorf("%s sent: %s", never, md)
		}
	}

	plain := metadataOf(t, false, "")
	for name, b := range map[string]string{
		"binary mode":  body,
		"array body":   `[{"a":1}]`,
		"text body":    `hello {"a":1}`,
		"invalid JSON": `{"a":}`,
		"two objects":  `{"a":1} {"b":2}`,
	} {
		if got := metadataOf(t, name == "binary mode", b); got != plain {
			t.Errorf("%s: Metadata gained body keys:\n%s", name, got)
		}
	}
	if md := metadataOf(t, false, ` {"sys":"mine"} `); !strings.HasSuffix(md, `"sys":"\"mine\""}`) {
		t.Errorf("a body property replaces sys in place: %s", md)
	}
}

func TestNetParseDate(t *testing.T) {
	cases := map[string]string{
		"2024-05-01T12:34:56":            "05/01/2024 12:34:56",
		"2024-05-01T12:34:56.1234567Z":   "05/01/2024 12:34:56",
		"2024-05-01T00:30:00-01:30":      "05/01/2024 02:00:00",
		"2024-02-30T00:00:00Z":           "", // no such day: stays a string
		"2024-05-01":                     "",
		"2024-05-01 12:34:56":            "",
		"not a date 2024-05-01T12:34:56": "",
	}
	for in, want := range cases {
		n := &jsonNode{kind: 's', str: in}
		got := n.netText()
		if want == "" {
			want = in
		}
		if got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
