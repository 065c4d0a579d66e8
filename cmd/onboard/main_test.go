package main

import (
	"os"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/internal/azurite"
)

// built is the onboard binary, built once by buildOnboard for the tests
// that run it as a process.
var built struct {
	once sync.Once
	dir  string // removed by TestMain
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	azurite.StopShared()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
