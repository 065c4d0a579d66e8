package config

import "strings"

// WithoutSettings returns environ (KEY=VALUE entries, as os.Environ gives)
// without any app setting: the registry's names, ServiceBusConnection* and
// FUNCTIONS_*. Tests that start the onboard binary use it so that a
// developer's shell cannot change what the process does.
func WithoutSettings(environ []string) []string {
	drop := map[string]bool{}
	for _, s := range Settings {
		drop[s.Name] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] && !strings.HasPrefix(name, "ServiceBusConnection") && !strings.HasPrefix(name, "FUNCTIONS_") {
			out = append(out, kv)
		}
	}
	return out
}
