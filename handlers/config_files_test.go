package handlers_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
)

type binding struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Direction         string   `json:"direction"`
	QueueName         string   `json:"queueName"`
	Connection        string   `json:"connection"`
	IsSessionsEnabled *bool    `json:"isSessionsEnabled"`
	DataType          string   `json:"dataType"`
	AuthLevel         string   `json:"authLevel"`
	Methods           []string `json:"methods"`
	Route             string   `json:"route"`
}

func readStrict(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestFunctionJSON: the function folders and binding names are the ones
// the handler routes and decodes by default.
func TestFunctionJSON(t *testing.T) {
	var events struct{ Bindings []binding }
	readStrict(t, filepath.Join("..", "functions", handlers.DefaultEventsFunction, "function.json"), &events)
	if len(events.Bindings) != 1 {
		t.Fatalf("%s: %d bindings, want 1", handlers.DefaultEventsFunction, len(events.Bindings))
	}
	b := events.Bindings[0]
	sessions := false
	want := binding{Name: handlers.DefaultEventsBinding, Type: "serviceBusTrigger", Direction: "in",
		QueueName: "%ONBOARDING_QUEUE%", Connection: "ServiceBusConnection", IsSessionsEnabled: &sessions, DataType: "binary"}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("trigger binding = %+v\nwant %+v", b, want)
	}

	var status struct{ Bindings []binding }
	readStrict(t, filepath.Join("..", "functions", handlers.DefaultStatusFunction, "function.json"), &status)
	wantStatus := []binding{
		{Name: handlers.DefaultStatusBinding, Type: "httpTrigger", Direction: "in", AuthLevel: "function", Methods: []string{"get"}, Route: "onboarding/{" + handlers.StatusKeyParam + "}"},
		{Name: handlers.DefaultStatusOutput, Type: "http", Direction: "out"},
	}
	if !reflect.DeepEqual(status.Bindings, wantStatus) {
		t.Errorf("status bindings = %+v\nwant %+v", status.Bindings, wantStatus)
	}

	// No other function folders the handler would not route.
	entries, err := os.ReadDir(filepath.Join("..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != handlers.DefaultEventsFunction && e.Name() != handlers.DefaultStatusFunction {
			t.Errorf("functions/%s is not routed by the handler", e.Name())
		}
	}
}

// TestHostJSON checks host.json against reference §12.
func TestHostJSON(t *testing.T) {
	var h struct {
		Version         string `json:"version"`
		FunctionTimeout string `json:"functionTimeout"`
		Logging         struct {
			LogLevel map[string]string `json:"logLevel"`
		} `json:"logging"`
		ExtensionBundle struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"extensionBundle"`
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string   `json:"defaultExecutablePath"`
				WorkingDirectory      string   `json:"workingDirectory"`
				Arguments             []string `json:"arguments"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
		Extensions struct {
			ServiceBus struct {
				PrefetchCount              int    `json:"prefetchCount"`
				AutoCompleteMessages       bool   `json:"autoCompleteMessages"`
				MaxAutoLockRenewalDuration string `json:"maxAutoLockRenewalDuration"`
				MaxConcurrentCalls         int    `json:"maxConcurrentCalls"`
				ClientRetryOptions         struct {
					Mode       string `json:"mode"`
					TryTimeout string `json:"tryTimeout"`
					Delay      string `json:"delay"`
					MaxDelay   string `json:"maxDelay"`
					MaxRetries int    `json:"maxRetries"`
				} `json:"clientRetryOptions"`
			} `json:"serviceBus"`
		} `json:"extensions"`
	}
	readStrict(t, filepath.Join("..", "host.json"), &h)
	sb := h.Extensions.ServiceBus
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"version", h.Version, "2.0"},
		{"functionTimeout", h.FunctionTimeout, "00:10:00"},
		{"extensionBundle.id", h.ExtensionBundle.ID, "Microsoft.Azure.Functions.ExtensionBundle"},
		{"extensionBundle.version", h.ExtensionBundle.Version, "[4.*, 5.0.0)"},
		{"customHandler.defaultExecutablePath", h.CustomHandler.Description.DefaultExecutablePath, "handler"},
		// The packaged binary is the onboard command: it must be told to serve.
		{"customHandler.arguments", h.CustomHandler.Description.Arguments, []string{"serve"}},
		{"customHandler.enableForwardingHttpRequest", h.CustomHandler.EnableForwardingHTTPRequest, false},
		{"serviceBus.autoCompleteMessages", sb.AutoCompleteMessages, true},
		{"serviceBus.maxConcurrentCalls", sb.MaxConcurrentCalls, 16},
		{"serviceBus.prefetchCount", sb.PrefetchCount, 0},
		{"serviceBus.maxAutoLockRenewalDuration", sb.MaxAutoLockRenewalDuration, "00:15:00"}, // >= functionTimeout (docs/deploy.md)
		{"serviceBus.clientRetryOptions.mode", sb.ClientRetryOptions.Mode, "exponential"},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("host.json %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
