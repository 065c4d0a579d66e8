package workflow

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
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
		if p, ok := CheckJSONDocument("cloudevent", event, nil); !ok || len(p) > 0 {
			b.Fatal(p)
		}
	}
}

func BenchmarkCheckJSON(b *testing.B) {
	_, data := exampleEvent(b)
	typ := reflect.TypeFor[PartnerApproved]()
	b.ReportAllocs()
	for b.Loop() {
		if p, ok := CheckJSON(data, typ); !ok || len(p) > 0 {
			b.Fatal(p)
		}
	}
}

func BenchmarkParsePartnerApproved(b *testing.B) {
	_, data := exampleEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePartnerApproved(data, "https://myapps.microsoft.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONWalker is CheckJSON without its fast path (the walker alone,
// as it was before), on the example event: compare with
// BenchmarkCheckJSONDocument and BenchmarkCheckJSON in the same run.
func BenchmarkJSONWalker(b *testing.B) {
	event, data := exampleEvent(b)
	for _, bc := range []struct {
		name string
		doc  []byte
		typ  reflect.Type
	}{{"Document", event, nil}, {"Data", data, reflect.TypeFor[PartnerApproved]()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p, ok := (&jsonWalker{root: "data"}).check("", bc.doc, bc.typ); !ok || len(p) > 0 {
					b.Fatal(p)
				}
			}
		})
	}
}
