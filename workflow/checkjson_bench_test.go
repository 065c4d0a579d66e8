package workflow_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// exampleEvent reads the partner-approved CloudEvent of examples/ and
// returns it whole and its data member.
func exampleEvent(b *testing.B) (event, data []byte) {
	b.Helper()
	event, err := os.ReadFile("../examples/partner-approved.json")
	if err != nil {
		b.Fatal(err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(event, &members); err != nil {
		b.Fatal(err)
	}
	return event, members["data"]
}

// The checks one delivery of a partner-approved event goes through: the
// handler's check of the structured CloudEvent, the policy's of its data.
func BenchmarkCheckJSONDocument(b *testing.B) {
	event, _ := exampleEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		if p, ok := workflow.CheckJSONDocument("cloudevent", event, nil); !ok || len(p) > 0 {
			b.Fatal(p)
		}
	}
}

func BenchmarkCheckJSON(b *testing.B) {
	_, data := exampleEvent(b)
	typ := reflect.TypeFor[workflow.PartnerApproved]()
	b.ReportAllocs()
	for b.Loop() {
		if p, ok := workflow.CheckJSON(data, typ); !ok || len(p) > 0 {
			b.Fatal(p)
		}
	}
}

func BenchmarkParsePartnerApproved(b *testing.B) {
	_, data := exampleEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := workflow.ParsePartnerApproved(data, redirect); err != nil {
			b.Fatal(err)
		}
	}
}
