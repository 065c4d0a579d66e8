// Package deploytest guards the deployment of b2b-onboarding: that the app
// settings the code reads (config.Settings) are documented in README.md,
// present in local.settings.sample.json and set by infra/main.bicep; that
// function.json bindings name known settings and the queue the templates
// create; that the Graph permissions of the template, the grant script and
// docs/deploy.md agree; and that `make package` produces a zip the Functions
// host can run.
//
// The checks are plain functions over the files' text (CheckConfig over
// Sources) so tests can show they fail on a mutated copy. BicepFile is a
// small reader for the plain templates in infra/ (no Bicep compiler is
// available where the tests run). SettingsTable renders the README table;
// `go run ./deploytest/gen` prints it.
//
// Tests against a real subscription and tenant are behind the `live` build
// tag (live_test.go); see docs/deploy.md.
package deploytest
