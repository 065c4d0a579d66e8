package handlers_test

import (
	"errors"
	"os"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/workflow"
)

// FuzzDecodeEnvelope: any invocation body decodes to a CloudEvent or fails
// with a ValidationError naming the field — never a panic, so a poisoned
// message is recorded and dead-lettered instead of crashing the handler.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, name := range []string{"testdata/host-binary.json", "testdata/host-string.json"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"Data":{"msg":"e30="},"Metadata":{"ApplicationProperties":{"cloudEvents_specversion":"1.0"}}}`))
	f.Add([]byte(`{"Data":{"msg":"\"{}\""},"Metadata":{"DeliveryCount":"x"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := handlers.DecodeServiceBusEnvelope(raw, "msg")
		if err == nil {
			_, err = handlers.ParseCloudEvent(msg.ContentType, msg.ApplicationProperties, msg.Body)
		}
		var ve *workflow.ValidationError
		if err != nil && (!errors.As(err, &ve) || ve.Field == "" || ve.Rule == "") {
			t.Fatalf("error %v is not a ValidationError naming field and rule", err)
		}
	})
}
