//go:build chaos && unix

package chaos

import (
	"os"
	"testing"
)

// TestChaosFull is the acceptance run of issue 9 (scripts/chaos.sh runs
// it): FullConfig, overridden by CHAOS_* environment variables.
func TestChaosFull(t *testing.T) {
	c := FullConfig()
	if err := c.FromEnv(os.Getenv); err != nil {
		t.Fatal(err)
	}
	runChaos(t, c)
}
