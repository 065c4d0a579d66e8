package main

import (
	"context"
	"errors"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/workflow"
)

// openTables opens the Table Storage state store.
func openTables(ctx context.Context, cfg config.Config) (workflow.Store, error) {
	return nil, errors.New("STATE_STORE=tables: not wired yet")
}
