package store_test

import (
	"testing"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestMemoryContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) workflow.Store { return store.NewMemory() })
}
