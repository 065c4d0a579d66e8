package config

import (
	"slices"
	"testing"
)

func TestWithoutSettings(t *testing.T) {
	got := WithoutSettings([]string{"PATH=/bin", "GRAPH_AUTH=default", "POLICY_ALLOWED_GROUPS=*", "ServiceBusConnection__fullyQualifiedNamespace=x",
		"FUNCTIONS_CUSTOMHANDLER_PORT=1", "HOME=/root", "GRAPH_AUTHX=kept", "EMPTY="})
	if want := []string{"PATH=/bin", "HOME=/root", "GRAPH_AUTHX=kept", "EMPTY="}; !slices.Equal(got, want) {
		t.Errorf("WithoutSettings = %q, want %q", got, want)
	}
}
