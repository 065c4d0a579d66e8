package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

func TestClassifyStatus(t *testing.T) {
	cases := []struct {
		status int
		want   string // type of error
	}{
		{404, "notfound"}, {429, "transient"}, {408, "transient"}, {500, "transient"}, {502, "transient"},
		{503, "transient"}, {504, "transient"}, {400, "permanent"}, {401, "permanent"}, {403, "permanent"}, {409, "permanent"},
	}
	for _, tc := range cases {
		a := &APIError{Status: tc.status, Code: "Some_Code", Message: "what went wrong", RetryAfter: 3 * time.Second}
		err := classifyStatus("op", a)
		var nf *workflow.NotFoundError
		var tr *workflow.TransientError
		var pe *workflow.PermanentError
		got := "?"
		switch {
		case errors.As(err, &nf):
			got = "notfound"
		case errors.As(err, &tr):
			got = "transient"
			if tr.RetryAfter != 3*time.Second {
				t.Errorf("%d: RetryAfter = %v", tc.status, tr.RetryAfter)
			}
		case errors.As(err, &pe):
			got = "permanent"
			if !strings.Contains(pe.Reason, "Some_Code") || !strings.Contains(pe.Reason, "what went wrong") {
				t.Errorf("%d: reason %q lacks code or message", tc.status, pe.Reason)
			}
		}
		if got != tc.want {
			t.Errorf("status %d classified %s, want %s (%v)", tc.status, got, tc.want, err)
		}
		var back *APIError
		if !errors.As(err, &back) || back != a {
			t.Errorf("status %d: APIError not reachable with errors.As", tc.status)
		}
	}
}

func TestClassifyTransportErrors(t *testing.T) {
	for _, err := range []error{context.DeadlineExceeded, context.Canceled, fmt.Errorf("dial tcp: %w", errors.New("connection refused"))} {
		var tr *workflow.TransientError
		if !errors.As(classify("op", err), &tr) {
			t.Errorf("classify(%v) is not transient", err)
		}
	}
	if classify("op", nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestAlreadyDone(t *testing.T) {
	cases := []struct {
		kind   workflow.ChangeKind
		status int
		msg    string
		want   bool
	}{
		{workflow.ChangeGroup, 400, "One or more added object references already exist for the following modified properties: 'members'.", true},
		{workflow.ChangeGroup, 400, "Invalid object identifier", false},
		{workflow.ChangeGroup, 409, "already exist", false},
		{workflow.ChangeRole, 400, "A conflicting object with one or more of the specified property values is present in the directory.", true},
		{workflow.ChangeRole, 409, "A conflicting object with one or more of the specified property values is present in the directory.", true},
		{workflow.ChangeRole, 400, "Invalid role definition", false},
		{workflow.ChangeApp, 400, "Permission being assigned already exists on the object.", true},
		{workflow.ChangeApp, 400, "Permission being assigned was not found on application", false},
		// PATCH answers that mention existing values are real errors.
		{workflow.ChangeProperties, 400, "Another object with the same value for property proxyAddresses already exists.", false},
		{workflow.ChangeManager, 400, "already exist", false},
	}
	for _, tc := range cases {
		if got := alreadyDone(tc.kind, &APIError{Status: tc.status, Message: tc.msg}); got != tc.want {
			t.Errorf("alreadyDone(%s, %d, %q) = %v", tc.kind, tc.status, tc.msg, got)
		}
	}
}

func TestAPIErrorMessage(t *testing.T) {
	a := &APIError{Status: 400, Code: "Request_BadRequest", Message: "Invalid value specified for property 'usageLocation' of resource 'User'.",
		Targets: []string{"usageLocation"}, RequestID: "r-1"}
	want := "graph 400 Request_BadRequest: Invalid value specified for property 'usageLocation' of resource 'User'. (target usageLocation) [request-id r-1]"
	if a.Error() != want {
		t.Fatalf("Error() = %q", a.Error())
	}
}
