package workflow_test

import (
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada.lovelace@fabrikam.com": "a***@fabrikam.com",
		"a@x.io":                    "a***@x.io",
		"Émile@exemple.fr":          "É***@exemple.fr",
		"@fabrikam.com":             "***@fabrikam.com",
		"not-an-email":              "not-an-email",
		"":                          "",
	} {
		if got := workflow.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskEmails(t *testing.T) {
	for in, want := range map[string]string{
		"invite ada.lovelace+vendor@fabrikam.com failed":             "invite a***@fabrikam.com failed",
		`{"email":"ada@fabrikam.com","cc":"buyer@contoso.com"}`:      `{"email":"a***@fabrikam.com","cc":"b***@contoso.com"}`,
		"guest ada_fabrikam.com#EXT#@contoso.onmicrosoft.com exists": "guest a***@contoso.onmicrosoft.com exists",
		"ada.lovelace@fabrikam.com/reminder/1":                       "a***@fabrikam.com/reminder/1",
		"retry/bob+tag@contoso.co.uk/3":                              "r***@contoso.co.uk/3", // "/" is legal in a local part
		"a@b.io and c@d.io":                                          "a***@b.io and c***@d.io",
		"no address here":                                            "no address here",
		"Graph 400: Invalid email address ada@ (mailbox)":            "Graph 400: Invalid email address ada@ (mailbox)",
	} {
		if got := workflow.MaskEmails(in); got != want {
			t.Errorf("MaskEmails(%q) = %q, want %q", in, got, want)
		}
	}
}
