package app

import (
	"os"
	"testing"

	"github.com/b2b-onboarding/onboard/internal/azurite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	azurite.StopShared()
	os.Exit(code)
}
