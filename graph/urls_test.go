package graph

import "testing"

func TestMailFilterQuotes(t *testing.T) {
	got := MailFilter("o'brien@fabrikam.com")
	want := "mail eq 'o''brien@fabrikam.com' or otherMails/any(m:m eq 'o''brien@fabrikam.com')"
	if got != want {
		t.Fatalf("MailFilter = %q, want %q", got, want)
	}
}
