package graphsim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
)

func TestDenyKnobAnswers403(t *testing.T) {
	s, err := graphsim.New(graphsim.Config{Knobs: &graphsim.Knobs{Deny: []string{"POST /groups/{id}/members/$ref"}}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + graphsim.SampleUserAlex + `"}`
	req := httptest.NewRequest(http.MethodPost, "/v1.0/groups/"+graphsim.SampleGroupPartners+"/members/$ref", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `"code":"Authorization_RequestDenied"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if slices.Contains(s.MembersOf(graphsim.SampleGroupPartners), graphsim.SampleUserAlex) {
		t.Error("a denied request changed the tenant")
	}
	var k graphsim.Knobs
	if err := json.Unmarshal([]byte(`{"deny":["GET /groups"]}`), &k); err != nil || len(k.Deny) != 1 {
		t.Fatalf("deny from JSON: %+v %v", k, err)
	}
}
