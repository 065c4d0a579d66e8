package handlers_test

import (
	"testing"

	"github.com/b2b-onboarding/onboard/handlers"
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
		if got := handlers.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskEmails(t *testing.T) {
	for in, want := range map[string]string{
		"invite ada.lovelace+vendor@fabrikam.com failed":             "invite a***@fabrikam.com failed",
		`{"email":"ada@fabrikam.com","cc":"buyer@contoso.com"}`:      `{"email":"a***@fabrikam.com","cc":"b***@contoso.com"}`,
		"guest ada_fabrikam.com#EXT#@contoso.onmicrosoft.com exists": "guest a***@contoso.onmicrosoft.com exists",
		"no address here": "no address here",
		"Graph 400: Invalid email address ada@ (mailbox)": "Graph 400: Invalid email address ada@ (mailbox)",
	} {
		if got := handlers.MaskEmails(in); got != want {
			t.Errorf("MaskEmails(%q) = %q, want %q", in, got, want)
		}
	}
}
