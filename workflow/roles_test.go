package workflow_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// TestBuiltInRolesList keeps the list honest: unique lower-case GUIDs and
// names, and exactly the 29 roles the source labels PRIVILEGED (those carry
// no Why), including the 11 an earlier list missed.
func TestBuiltInRolesList(t *testing.T) {
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	ids, names := map[string]bool{}, map[string]bool{}
	labelled := 0
	for _, r := range workflow.BuiltInRoles() {
		if !guid.MatchString(r.TemplateID) || ids[r.TemplateID] || names[r.Name] || r.Name == "" {
			t.Errorf("bad or repeated entry %+v", r)
		}
		ids[r.TemplateID], names[r.Name] = true, true
		if r.Why != "" && !r.Privileged {
			t.Errorf("%s has a reason but is not privileged", r.Name)
		}
		if r.Privileged && r.Why == "" {
			labelled++
		}
	}
	if labelled != 29 {
		t.Errorf("%d roles carry Microsoft's PRIVILEGED label, the source (2026-01-20) has 29", labelled)
	}
	for _, name := range []string{"Agent ID Administrator", "Application Developer", "Attribute Provisioning Administrator",
		"Attribute Provisioning Reader", "Authentication Extensibility Administrator", "B2C IEF Keyset Administrator",
		"Cloud Device Administrator", "Global Reader", "Lifecycle Workflows Administrator", "Security Operator", "Security Reader"} {
		if !privilegedByName(name) {
			t.Errorf("%s must be privileged", name)
		}
	}
}

func privilegedByName(name string) bool {
	for _, r := range workflow.BuiltInRoles() {
		if r.Name == name {
			return r.Privileged
		}
	}
	return false
}

func TestIsPrivilegedRole(t *testing.T) {
	for id, want := range map[string]bool{
		globalAdmin:                            true,
		strings.ToUpper(globalReader):          true,
		" " + globalReader + " ":               true,
		guestInv:                               false,
		"88d8e3e3-8f55-4a1e-953a-9b9898b8876b": false, // Directory Readers
		"29232cdf-9323-42fd-ade2-1d097af3e4de": true,  // Exchange Administrator: ours, not labelled
		"d2562ede-74db-457e-a7b6-544e236ebb61": true,  // AI Administrator: labelled after 2026-01-20
		customRole:                             true,
		"not-a-guid":                           true,
		"":                                     true,
	} {
		if got := workflow.IsPrivilegedRole(id); got != want {
			t.Errorf("IsPrivilegedRole(%q) = %v, want %v", id, got, want)
		}
	}
}
