// Command gen prints the README settings table generated from
// config.Settings, to paste under the "## Configuration" heading of
// README.md (the configuration test in deploytest checks the README against
// the same list):
//
//	go run ./deploytest/gen
package main

import (
	"fmt"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/deploytest"
)

func main() {
	fmt.Print(deploytest.SettingsTable(config.Settings))
}
