package servicebus

import "testing"

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ada.lovelace@fabrikam.com/reminder/1", "a***@fabrikam.com/reminder/1"},
		{"retry/bob+tag@contoso.co.uk/3", "retry/b***@contoso.co.uk/3"},
		{"PR-2026-0042", "PR-2026-0042"},
		{"a@b.io and c@d.io", "a***@b.io and c***@d.io"},
	}
	for _, tt := range tests {
		if got := maskID(tt.in); got != tt.want {
			t.Errorf("maskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
