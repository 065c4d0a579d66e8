package graphsim_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// do sends a raw request and returns status, headers and decoded JSON body.
func do(t *testing.T, method, url string, body []byte, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, b)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func gz(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return buf.Bytes()
}

func TestWireErrorsAndEncodings(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	base := e.srv.URL + "/v1.0"
	userURL := base + "/users/" + graphsim.SampleUserAlex
	cases := []struct {
		name, method, url string
		body              []byte
		hdr               map[string]string
		status            int
		code              string
	}{
		{"gzip body", "PATCH", userURL, gz(`{"jobTitle":"Lead"}`), map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/json"}, 204, ""},
		{"labelled gzip but plain", "PATCH", userURL, []byte(`{"jobTitle":"Lead"}`), map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/json"}, 400, "BadRequest"},
		{"unknown encoding", "PATCH", userURL, []byte(`{}`), map[string]string{"Content-Encoding": "br"}, 415, graphsim.CodeUnsupportedMedia},
		{"bad json", "PATCH", userURL, []byte(`{"jobTitle":`), map[string]string{"Content-Type": "application/json"}, 400, "BadRequest"},
		{"empty body", "POST", base + "/invitations", nil, nil, 400, "BadRequest"},
		{"unknown segment", "GET", base + "/widgets", nil, nil, 400, "BadRequest"},
		{"method not allowed", "PUT", base + "/users", nil, nil, 405, graphsim.CodeMethodNotAllowed},
		{"outside v1.0", "GET", e.srv.URL + "/beta/users", nil, nil, 404, "NotFound"},
		{"$count without ConsistencyLevel", "GET", base + "/users?$count=true", nil, nil, 400, graphsim.CodeRequestBadRequest},
		{"$count with ConsistencyLevel", "GET", base + "/users?$count=true", nil, map[string]string{"ConsistencyLevel": "eventual"}, 200, ""},
		{"endsWith advanced", "GET", base + "/users?$count=true&$filter=" + urlq("endsWith(mail,'@fabrikam.onmicrosoft.com')"), nil, map[string]string{"ConsistencyLevel": "eventual"}, 200, ""},
		{"bad $top", "GET", base + "/users?$top=0", nil, nil, 400, graphsim.CodeRequestBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{"client-request-id": "my-client-id"}
			for k, v := range c.hdr {
				hdr[k] = v
			}
			st, h, m := do(t, c.method, c.url, c.body, hdr)
			if st != c.status {
				t.Fatalf("status = %d, want %d: %v", st, c.status, m)
			}
			if h.Get("request-id") == "" || h.Get("client-request-id") != "my-client-id" {
				t.Errorf("request-id/client-request-id headers = %q/%q", h.Get("request-id"), h.Get("client-request-id"))
			}
			if c.code == "" {
				return
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", h.Get("Content-Type"))
			}
			errObj, _ := m["error"].(map[string]any)
			inner, _ := errObj["innerError"].(map[string]any)
			if errObj["code"] != c.code || errObj["message"] == "" || errObj["message"] == nil {
				t.Errorf("error = %v", errObj)
			}
			if inner["request-id"] != h.Get("request-id") || inner["client-request-id"] != "my-client-id" || inner["date"] == nil {
				t.Errorf("innerError = %v", inner)
			}
		})
	}
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "'", "%27", "@", "%40", "(", "%28", ")", "%29", ",", "%2C")
	return r.Replace(s)
}

func TestPagingWithPageIterator(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	for i := 0; i < 5; i++ {
		invite(t, e, "page"+string(rune('a'+i))+"@contoso.com", false)
	}
	res, err := e.client.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(3))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 3 || res.GetOdataNextLink() == nil {
		t.Fatalf("first page: %d items, nextLink %v", len(res.GetValue()), res.GetOdataNextLink())
	}
	it, err := msgraphgocore.NewPageIterator[models.Userable](res, e.adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := it.Iterate(ctx(t), func(u models.Userable) bool { seen[*u.GetId()] = true; return true }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 8 {
		t.Errorf("iterated %d users, want 8", len(seen))
	}
}

func TestMemberRefsByQuery(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	base := e.srv.URL + "/v1.0/groups/" + graphsim.SampleGroupApollo + "/members/$ref"
	st, _, m := do(t, "GET", base, nil, nil)
	if st != 200 || len(m["value"].([]any)) != 2 {
		t.Fatalf("refs: %d %v", st, m)
	}
	st, _, _ = do(t, "DELETE", base+"?$id=https://graph.microsoft.com/v1.0/directoryObjects/"+graphsim.SampleUserAlex, nil, nil)
	if st != 204 || len(e.sim.MembersOf(graphsim.SampleGroupApollo)) != 1 {
		t.Fatalf("delete by $id: %d %v", st, e.sim.MembersOf(graphsim.SampleGroupApollo))
	}
}
