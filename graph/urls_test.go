package graph

import "testing"

func TestRelativeURL(t *testing.T) {
	cases := []struct{ raw, base, want string }{
		{"/users/abc", "http://127.0.0.1:1/v1.0", "/users/abc"},
		{"users/abc", "http://127.0.0.1:1/v1.0", "/users/abc"},
		// Builders that kept the SDK's default host (reference §13).
		{"https://graph.microsoft.com/v1.0/groups/g1/members/$ref", "http://127.0.0.1:1/v1.0", "/groups/g1/members/$ref"},
		{"https://graph.microsoft.com/v1.0/users?%24filter=mail%20eq%20%27a%27", "http://127.0.0.1:1/v1.0", "/users?%24filter=mail%20eq%20%27a%27"},
		// A base with a longer path.
		{"http://127.0.0.1:1/tenant-a/v1.0/users/x", "http://127.0.0.1:1/tenant-a/v1.0", "/users/x"},
		{"https://graph.microsoft.com/beta/users/x", "https://graph.microsoft.com/v1.0", "/users/x"},
	}
	for _, tc := range cases {
		got, err := relativeURL(tc.raw, tc.base)
		if err != nil || got != tc.want {
			t.Errorf("relativeURL(%q, %q) = %q, %v; want %q", tc.raw, tc.base, got, err, tc.want)
		}
	}
}

func TestMailFilterQuotes(t *testing.T) {
	got := MailFilter("o'brien@fabrikam.com")
	want := "mail eq 'o''brien@fabrikam.com' or otherMails/any(m:m eq 'o''brien@fabrikam.com')"
	if got != want {
		t.Fatalf("MailFilter = %q, want %q", got, want)
	}
}
