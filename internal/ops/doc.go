// Package ops holds the logic and rendering of the operator commands
// `onboard send`, `onboard status` and `onboard dlq`: each takes options
// (what the flags said) and writes its result to the given streams, so it
// is tested here without a command line. They act on the dev runtime's ops
// API or on Service Bus and the state store the settings name.
package ops
