package graph

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

const (
	testGuest = "11111111-2222-4333-8444-555555555555"
	testSP    = "5e7c0000-0000-4000-8000-000000000001"
)

func TestBuildChunksSplitsAtTwenty(t *testing.T) {
	d, err := New(context.Background(), Options{BaseURL: "http://127.0.0.1:9/v1.0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 20, 21, 40, 45} {
		changes := make([]workflow.Change, n)
		for i := range changes {
			changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: fmt.Sprintf("g%d", i)}
		}
		chunks := d.buildChunks(testGuest, changes, make([]error, n))
		total := 0
		for _, c := range chunks {
			if len(c) > MaxBatchItems {
				t.Errorf("n=%d: chunk of %d", n, len(c))
			}
			total += len(c)
		}
		if wantChunks := (n + MaxBatchItems - 1) / MaxBatchItems; len(chunks) != wantChunks || total != n {
			t.Errorf("n=%d: %d chunks with %d items, want %d chunks", n, len(chunks), total, wantChunks)
		}
	}
}

func TestApplyRejectsUnsendableChanges(t *testing.T) {
	d, err := New(context.Background(), Options{BaseURL: "http://127.0.0.1:9/v1.0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		guest  string
		change workflow.Change
		want   string // "" = nil result without any request
	}{
		{"empty properties", testGuest, workflow.Change{Kind: workflow.ChangeProperties}, ""},
		{"group without id", testGuest, workflow.Change{Kind: workflow.ChangeGroup}, `change "group": ID is required`},
		{"unknown kind", testGuest, workflow.Change{Kind: "license", ID: "x"}, `unknown change kind "license"`},
		{"app sp not a guid", testGuest, workflow.Change{Kind: workflow.ChangeApp, ID: "portal"}, `service principal id "portal" must be a GUID`},
		{"app role not a guid", testGuest, workflow.Change{Kind: workflow.ChangeApp, ID: testSP, AppRoleID: "reader"}, `app role id "reader" must be a GUID`},
		{"no guest", "", workflow.Change{Kind: workflow.ChangeGroup, ID: "g"}, "guest id is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Port 9 on loopback refuses connections: any request would fail transiently.
			errs := d.Apply(context.Background(), tc.guest, []workflow.Change{tc.change})
			if tc.want == "" {
				if errs[0] != nil {
					t.Fatalf("got %v", errs[0])
				}
				return
			}
			var pe *workflow.PermanentError
			if !errors.As(errs[0], &pe) || pe.Reason != tc.want {
				t.Fatalf("got %v, want permanent %q", errs[0], tc.want)
			}
		})
	}
}
