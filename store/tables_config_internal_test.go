package store

import (
	"strings"
	"testing"
)

func TestExpandConnectionString(t *testing.T) {
	cases := []struct{ in, wantPart string }{
		{"UseDevelopmentStorage=true", "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"},
		{"usedevelopmentstorage=TRUE;", "AccountName=devstoreaccount1;"},
		{"UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://x", "AccountKey=" + developmentStorageKey},
		{"AccountName=a;AccountKey=b", "AccountName=a;AccountKey=b"},
		{"UseDevelopmentStorage=false;AccountName=a;AccountKey=b", "UseDevelopmentStorage=false"},
	}
	for _, c := range cases {
		if got := expandConnectionString(c.in); !strings.Contains(got, c.wantPart) {
			t.Errorf("expandConnectionString(%q) = %q, want it to contain %q", c.in, got, c.wantPart)
		}
	}
}
