package graphsim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

func step(t *testing.T, b msgraphgocore.BatchRequest, ri *abstractions.RequestInformation, err error) msgraphgocore.BatchItem {
	t.Helper()
	if err != nil {
		t.Fatalf("request information: %v", err)
	}
	it, err := b.AddBatchRequestStep(*ri)
	if err != nil {
		t.Fatalf("add step: %v", err)
	}
	return it
}

func status(t *testing.T, resp msgraphgocore.BatchResponse, it msgraphgocore.BatchItem) int {
	t.Helper()
	r := resp.GetResponseById(*it.GetId())
	if r == nil {
		t.Fatalf("no response for %s", *it.GetId())
	}
	return int(*r.GetStatus())
}

func TestBatchThroughSDK(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("absoluteItemURLs=%v", late), func(t *testing.T) {
			e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{ShuffleBatch: true}}, clientOptions{lateBaseURL: late})
			guest := *invite(t, e, "batch@contoso.com", false).GetInvitedUser().GetId()
			c := e.client
			b := msgraphgocore.NewBatchRequest(e.adapter)

			patch := models.NewUser()
			patch.SetJobTitle(ptr("Consultant"))
			ri, err := c.Users().ByUserId(guest).ToPatchRequestInformation(ctx(t), patch, nil)
			pStep := step(t, b, ri, err)
			ri, err = c.Groups().ByGroupId(graphsim.SampleGroupPartners).Members().Ref().ToPostRequestInformation(ctx(t), memberRef(guest), nil)
			gStep := step(t, b, ri, err)
			ri, err = c.Groups().ByGroupId(graphsim.SampleGroupApollo).Members().Ref().ToPostRequestInformation(ctx(t), memberRef(graphsim.SampleUserMegan), nil)
			dupStep := step(t, b, ri, err) // Megan is already in Apollo
			ri, err = c.RoleManagement().Directory().RoleAssignments().ToPostRequestInformation(ctx(t), roleAssignment(guest, graphsim.RoleGuestInviter), nil)
			rStep := step(t, b, ri, err)
			ri, err = c.ServicePrincipals().ByServicePrincipalId(graphsim.SampleSPWiki).AppRoleAssignedTo().ToPostRequestInformation(ctx(t), appAssignment(guest, graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID), nil)
			aStep := step(t, b, ri, err)
			ri, err = c.Users().ByUserId(guest).ToGetRequestInformation(ctx(t), &users.UserItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"jobTitle", "externalUserState"}}})
			getStep := step(t, b, ri, err)
			getStep.DependsOnItem(pStep)
			ri, err = c.Users().ByUserId(guest).ToGetRequestInformation(ctx(t), nil)
			afterDup := step(t, b, ri, err)
			afterDup.DependsOnItem(dupStep)
			if late {
				if u := *pStep.GetUrl(); !strings.HasPrefix(u, "https://graph.microsoft.com/v1.0/") {
					t.Fatalf("expected an absolute default-host item URL, got %s", u)
				}
			}

			resp, err := b.Send(ctx(t), e.adapter)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			want := map[msgraphgocore.BatchItem]int{pStep: 204, gStep: 204, dupStep: 400, rStep: 201, aStep: 201, getStep: 200, afterDup: 424}
			for it, st := range want {
				if got := status(t, resp, it); got != st {
					t.Errorf("item %s (%s %s) = %d, want %d", *it.GetId(), *it.GetMethod(), *it.GetUrl(), got, st)
				}
			}
			u, err := msgraphgocore.GetBatchResponseById[models.Userable](resp, *getStep.GetId(), models.CreateUserFromDiscriminatorValue)
			if err != nil || *u.GetJobTitle() != "Consultant" || *u.GetExternalUserState() != "PendingAcceptance" {
				t.Errorf("GET after PATCH: %v %v", err, u)
			}
			ra, err := msgraphgocore.GetBatchResponseById[models.UnifiedRoleAssignmentable](resp, *rStep.GetId(), models.CreateUnifiedRoleAssignmentFromDiscriminatorValue)
			if err != nil || *ra.GetPrincipalId() != guest {
				t.Errorf("role assignment item: %v", err)
			}
			_, err = msgraphgocore.GetBatchResponseById[models.Userable](resp, *dupStep.GetId(), models.CreateUserFromDiscriminatorValue)
			wantBatchODataError(t, err, graphsim.CodeRequestBadRequest, graphsim.MsgMemberExists)
			_, err = msgraphgocore.GetBatchResponseById[models.Userable](resp, *afterDup.GetId(), models.CreateUserFromDiscriminatorValue)
			wantBatchODataError(t, err, graphsim.CodeFailedDependency, "")
			if got := e.sim.RequestCount("POST /groups/{id}/members/$ref"); got != 2 {
				t.Errorf("member adds counted = %d, want 2", got)
			}
		})
	}
}

func wantBatchODataError(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error with code %s", code)
	}
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("batch item error is %T (%v), want an ODataError (RegisterError)", err, err)
	}
	if got := *oe.GetErrorEscaped().GetCode(); got != code {
		t.Errorf("code = %s, want %s", got, code)
	}
	if msg != "" && !strings.Contains(*oe.GetErrorEscaped().GetMessage(), msg) {
		t.Errorf("message = %s", *oe.GetErrorEscaped().GetMessage())
	}
}

func TestBatchPerItemThrottle(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 2, InviteWindow: 5 * time.Second}}, clientOptions{})
	b := msgraphgocore.NewBatchRequest(e.adapter)
	var items []msgraphgocore.BatchItem
	for i := 0; i < 4; i++ {
		ri, err := e.client.Invitations().ToPostRequestInformation(ctx(t), newInvitation(fmt.Sprintf("t%d@contoso.com", i), false), nil)
		items = append(items, step(t, b, ri, err))
	}
	resp, err := b.Send(ctx(t), e.adapter)
	if err != nil {
		t.Fatalf("outer batch must succeed: %v", err)
	}
	counts := map[int]int{}
	for _, it := range items {
		r := resp.GetResponseById(*it.GetId())
		counts[int(*r.GetStatus())]++
		if *r.GetStatus() == 429 {
			if ra := r.GetHeaders()["Retry-After"]; ra != "5" {
				t.Errorf("429 item Retry-After = %q, want 5", ra)
			}
			_, err := msgraphgocore.GetBatchResponseById[models.Invitationable](resp, *it.GetId(), models.CreateInvitationFromDiscriminatorValue)
			wantBatchODataError(t, err, graphsim.CodeTooManyRequests, "")
		}
	}
	if counts[201] != 2 || counts[429] != 2 {
		t.Errorf("item statuses = %v, want 2×201 and 2×429", counts)
	}
	if got := len(resp.GetFailedResponses()); got != 2 {
		t.Errorf("failed responses = %d", got)
	}
}

// rawBatch posts a raw $batch body and decodes the answer.
func rawBatch(t *testing.T, e *env, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/v1.0/$batch", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %s", b)
	}
	return resp.StatusCode, m
}

func TestBatchEnvelopeRules(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	item := func(id, dep string) string {
		d := ""
		if dep != "" {
			d = `,"dependsOn":["` + dep + `"]`
		}
		return `{"id":"` + id + `","method":"GET","url":"/users/` + graphsim.SampleUserMegan + `"` + d + `}`
	}
	var many []string
	for i := 0; i < 21; i++ {
		many = append(many, item(fmt.Sprint(i), ""))
	}
	cases := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"21 requests", `{"requests":[` + strings.Join(many, ",") + `]}`, 400, "at most 20"},
		{"duplicate ids (case-insensitive)", `{"requests":[` + item("a", "") + "," + item("A", "") + `]}`, 400, "unique"},
		{"unknown dependency", `{"requests":[` + item("a", "zz") + `]}`, 400, "zz"},
		{"cycle", `{"requests":[` + item("a", "b") + "," + item("b", "a") + `]}`, 400, "cycle"},
		{"malformed", `{"requests":`, 400, "Invalid batch payload"},
		{"empty", `{"requests":[]}`, 400, "missing or empty"},
		{"twenty is fine", `{"requests":[` + strings.Join(many[:20], ",") + `]}`, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, m := rawBatch(t, e, c.body)
			if st != c.status {
				t.Fatalf("status = %d, want %d: %v", st, c.status, m)
			}
			if c.msg != "" {
				errObj, _ := m["error"].(map[string]any)
				if msg, _ := errObj["message"].(string); !strings.Contains(msg, c.msg) || errObj["code"] != "BadRequest" {
					t.Errorf("error = %v", errObj)
				}
			}
		})
	}
	// item URL forms, a body without Content-Type, a nested batch
	st, m := rawBatch(t, e, `{"requests":[
		{"id":"rel","method":"GET","url":"users/`+graphsim.SampleUserMegan+`"},
		{"id":"abs","method":"GET","url":"https://graph.microsoft.com/v1.0/users/`+graphsim.SampleUserMegan+`?$select=id"},
		{"id":"noct","method":"PATCH","url":"/users/`+graphsim.SampleUserMegan+`","body":{"jobTitle":"x"}},
		{"id":"nested","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}},
		{"id":"unknown","method":"GET","url":"/nonsense"}]}`)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	got := map[string]float64{}
	for _, r := range m["responses"].([]any) {
		rm := r.(map[string]any)
		got[rm["id"].(string)] = rm["status"].(float64)
	}
	want := map[string]float64{"rel": 200, "abs": 200, "noct": 400, "nested": 400, "unknown": 400}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("item %s = %v, want %v", k, got[k], v)
		}
	}
}
