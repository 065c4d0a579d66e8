package store_test

import (
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
)

func TestEscapeKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ada.lovelace@fabrikam.com", "ada.lovelace@fabrikam.com"},
		{"a+b@x.com", "a~2Bb@x.com"},
		{"o'brien@x.com", "o~27brien@x.com"},
		{"k/reminder/1", "k~2Freminder~2F1"},
		{`a#b?c\d`, "a~23b~3Fc~5Cd"},
		{"Ada", "~41da"},
		{"~", "~7E"},
		{"ü", "~C3~BC"},
		{"tab\t", "tab~09"},
		{"under_score-dash", "under_score-dash"},
	}
	for _, c := range cases {
		if got := store.EscapeKey(c.in); got != c.want {
			t.Errorf("EscapeKey(%q) = %q, want %q", c.in, got, c.want)
		}
		if back, err := store.UnescapeKey(c.want); err != nil || back != c.in {
			t.Errorf("UnescapeKey(%q) = %q, %v; want %q", c.want, back, err, c.in)
		}
	}
}

func TestUnescapeKeyRejects(t *testing.T) {
	for _, in := range []string{"~", "~4", "~zz", "~61", "~2b", "A", "a/b", "a~2"} {
		if got, err := store.UnescapeKey(in); err == nil {
			t.Errorf("UnescapeKey(%q) = %q, want an error (EscapeKey never produces it)", in, got)
		}
	}
}

// FuzzEscapeKey: the escaped form is safe for Table Storage keys and file
// names and maps back to the key.
func FuzzEscapeKey(f *testing.F) {
	for _, k := range append(storetest.OddKeys, storetest.OddMessageIDs...) {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		e := store.EscapeKey(key)
		if strings.ContainsFunc(e, func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'F' || strings.ContainsRune("@.-_~", r))
		}) {
			t.Fatalf("EscapeKey(%q) = %q has a character outside [a-z0-9A-F@._~-]", key, e)
		}
		back, err := store.UnescapeKey(e)
		if err != nil || back != key {
			t.Fatalf("UnescapeKey(EscapeKey(%q)) = %q, %v", key, back, err)
		}
	})
}
