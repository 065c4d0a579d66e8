package handlers_test

import (
	"os"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
)

// BenchmarkParseCloudEvent parses the structured partner-approved event of
// examples/ as a delivery carries it.
func BenchmarkParseCloudEvent(b *testing.B) {
	body, err := os.ReadFile("../examples/partner-approved.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handlers.ParseCloudEvent("application/cloudevents+json; charset=utf-8", nil, body); err != nil {
			b.Fatal(err)
		}
	}
}
