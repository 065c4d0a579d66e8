package devhost

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// keyed is an HTTP client that sends the dev function key, as `onboard
// status` does.
var keyed = &http.Client{Transport: keyTransport{DevFunctionKey}}

type keyTransport struct{ key string }

func (k keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("x-functions-key", k.key)
	return http.DefaultTransport.RoundTrip(r)
}

const statusFunction = `{"bindings":[
 {"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"],"route":"status/{key}"},
 {"type":"http","direction":"out","name":"res"}]}`

func TestHTTPTriggerForwarding(t *testing.T) {
	f := &fakeHandler{respond: func(w http.ResponseWriter, r recorded, _ int) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(r.Body), "boom") {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"Outputs":{"res":{"statusCode":"201","body":{"key":"ada@fabrikam.com","steps":["invite"]},"headers":{"X-Trace":"t1"}}},"Logs":["status read"],"ReturnValue":null}`)
	}}
	app := writeApp(t, "", map[string]string{"status": statusFunction, "OnboardingEvents": sbFunction("msg", "onboarding", "binary")})
	utcNow := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	h := startHarness(t, harnessConfig{app: app, handler: f, host: HostOptions{Now: func() time.Time { return utcNow },
		NewID: seqIDs("client", "inv-1", "guid-1")}})
	front := httptest.NewServer(h.host.Handler())
	defer front.Close()

	resp, err := keyed.Get(front.URL + "/api/status/ada%40fabrikam.com?verbose=1&x=a&x=b")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Trace") != "t1" ||
		resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		string(body) != `{"key":"ada@fabrikam.com","steps":["invite"]}` {
		t.Fatalf("answer = %d %v %s", resp.StatusCode, resp.Header, body)
	}

	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/status" {
		t.Fatalf("handler requests = %+v", reqs)
	}
	if reqs[0].Header.Get("X-Azure-Functions-InvocationId") != "inv-1" || reqs[0].Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("headers = %v", reqs[0].Header)
	}
	host := strings.TrimPrefix(front.URL, "http://")
	wantPrefix := `{"Data":{"req":{"Url":"http://` + host + `/api/status/ada%40fabrikam.com?verbose=1&x=a&x=b","Method":"GET","Query":{"verbose":"1","x":"a,b"},"Headers":{`
	if !strings.HasPrefix(string(reqs[0].Body), wantPrefix) {
		t.Fatalf("envelope:\n got %s\nwant prefix %s", reqs[0].Body, wantPrefix)
	}
	var env struct {
		Data struct {
			Req struct {
				Headers    map[string][]string
				Params     map[string]string
				Identities []map[string]any
				Body       *string
			} `json:"req"`
		}
		Metadata map[string]json.RawMessage
	}
	if err := json.Unmarshal(reqs[0].Body, &env); err != nil {
		t.Fatal(err)
	}
	req := env.Data.Req
	if req.Params["key"] != "ada@fabrikam.com" || req.Headers["Host"][0] != host || req.Body != nil ||
		len(req.Identities) != 1 || req.Identities[0]["IsAuthenticated"] != false {
		t.Fatalf("Data.req = %+v", req)
	}
	for k, want := range map[string]string{
		"key":     `"\"ada@fabrikam.com\""`,
		"verbose": `"\"1\""`,
		"Query":   `{"verbose":"1","x":"a,b"}`,
		"sys":     `{"MethodName":"status","UtcNow":"2024-05-01T12:00:00Z","RandGuid":"guid-1"}`,
	} {
		if got := string(env.Metadata[k]); got != want {
			t.Errorf("Metadata.%s = %s, want %s", k, got, want)
		}
	}
	if inv := h.invocations(); len(inv) != 1 || inv[0].Err != nil || inv[0].Logs[0] != "status read" {
		t.Fatalf("invocations = %+v", inv)
	}

	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"wrong method", http.MethodPost, "/api/status/x", "", http.StatusMethodNotAllowed},
		{"unknown route", http.MethodGet, "/api/nope", "", http.StatusNotFound},
		{"missing route value", http.MethodGet, "/api/status", "", http.StatusNotFound},
		{"service bus function not routable", http.MethodGet, "/api/OnboardingEvents", "", http.StatusNotFound},
		{"case-insensitive literal", http.MethodGet, "/API/Status/y", "", 201},
		{"handler failure is a 500", http.MethodGet, "/api/status/boom", "", http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, front.URL+tc.path, strings.NewReader(tc.body))
			resp, err := keyed.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
		})
	}
}

func TestHTTPTriggerBodyAndOutputs(t *testing.T) {
	fn := `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","methods":["post"]},{"type":"http","direction":"out","name":"%s"}]}`
	cases := []struct {
		name, outName, reply, contentType, reqBody string
		wantStatus                                 int
		wantBody, wantCT                           string
		wantReqBody                                any // string, or nil for absent
	}{
		{"text body, no statusCode: 200", "res", `{"Outputs":{"res":{"body":"hello"}}}`, "text/plain", "abc", 200, "hello", "text/plain; charset=utf-8", "abc"},
		{"res output missing: {}", "res", `{"Outputs":{},"Logs":[],"ReturnValue":null}`, "", "", 200, "{}", "application/json; charset=utf-8", nil},
		{"res output null: {}", "res", `{"Outputs":{"res":null}}`, "", "", 200, "{}", "application/json; charset=utf-8", nil},
		{"numeric status and header content type", "res", `{"Outputs":{"res":{"statusCode":404,"body":"no","headers":{"Content-Type":"text/html"}}}}`, "", "", 404, "no", "text/html", nil},
		{"status alias", "res", `{"Outputs":{"res":{"status":"202"}}}`, "", "", 202, "", "", nil},
		{"$return", "$return", `{"Outputs":{},"ReturnValue":{"statusCode":200,"body":"via return"}}`, "", "", 200, "via return", "text/plain; charset=utf-8", nil},
		{"binary request body is base64", "res", `{"Outputs":{"res":{}}}`, "application/octet-stream", "\x00\x01", 200, "", "", "AAE="},
		{"output not an object", "res", `{"Outputs":{"res":"just text"}}`, "", "", 500, "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeHandler{respond: func(w http.ResponseWriter, _ recorded, _ int) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.reply)
			}}
			app := writeApp(t, `{"extensions":{"http":{"routePrefix":""}}}`, map[string]string{"echo": strings.Replace(fn, "%s", tc.outName, 1)})
			h := startHarness(t, harnessConfig{app: app, handler: f})
			front := httptest.NewServer(h.host.Handler())
			defer front.Close()
			req, _ := http.NewRequest(http.MethodPost, front.URL+"/echo", strings.NewReader(tc.reqBody))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := keyed.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody || (tc.wantCT != "" && resp.Header.Get("Content-Type") != tc.wantCT) {
				t.Fatalf("answer = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			// the invocation reports the status the caller got, not the handler's 200
			eventually(t, 2*time.Second, "the invocation", func() bool { return len(h.invocations()) == 1 })
			if inv := h.invocations()[0]; inv.ResponseStatus != tc.wantStatus || inv.StatusCode != 200 {
				t.Errorf("invocation status %d, response status %d; want 200 and %d", inv.StatusCode, inv.ResponseStatus, tc.wantStatus)
			}
			var env struct {
				Data struct {
					Req map[string]any `json:"req"`
				}
			}
			if err := json.Unmarshal(f.requests()[0].Body, &env); err != nil {
				t.Fatal(err)
			}
			if got := env.Data.Req["Body"]; got != tc.wantReqBody {
				t.Fatalf("Data.req.Body = %#v, want %#v", got, tc.wantReqBody)
			}
		})
	}
}

func TestHTTPTriggerForwardingMode(t *testing.T) {
	f := &fakeHandler{respond: func(w http.ResponseWriter, r recorded, _ int) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, r.Method+" "+r.Path+" "+string(r.Body)+" "+r.Header.Get("X-Azure-Functions-HostVersion"))
	}}
	app := writeApp(t, `{"customHandler":{"enableForwardingHttpRequest":true}}`, map[string]string{"hello": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"res"}]}`})
	h := startHarness(t, harnessConfig{app: app, handler: f})
	front := httptest.NewServer(h.host.Handler())
	defer front.Close()
	resp, err := keyed.Post(front.URL+"/api/hello?x=1", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || string(body) != "POST /api/hello hi "+DefaultHostVersion {
		t.Fatalf("answer = %d %q", resp.StatusCode, body)
	}
}

func TestHTTPTriggerAuthLevel(t *testing.T) {
	fn := func(level string) string {
		return `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"` + level + `"},{"type":"http","direction":"out","name":"res"}]}`
	}
	app := writeApp(t, "", map[string]string{"open": fn("anonymous"), "fn": fn("function"), "admin": fn("admin"),
		"unset": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"res"}]}`})
	f := &fakeHandler{}
	h := startHarness(t, harnessConfig{app: app, handler: f})
	front := httptest.NewServer(h.host.Handler())
	defer front.Close()
	cases := []struct {
		path, header string
		want         int
	}{
		{"/api/open", "", 200},
		{"/api/fn", "", 401},
		{"/api/unset", "", 401}, // authLevel defaults to function
		{"/api/fn?code=wrong", "", 401},
		{"/api/fn?code=" + DevFunctionKey, "", 200},
		{"/api/fn", DevFunctionKey, 200},
		{"/api/fn", DevMasterKey, 200},
		{"/api/admin", DevFunctionKey, 401},
		{"/api/admin?code=" + DevMasterKey, "", 200},
	}
	for _, tc := range cases {
		before := len(f.requests())
		req, _ := http.NewRequest(http.MethodGet, front.URL+tc.path, nil)
		if tc.header != "" {
			req.Header.Set("x-functions-key", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s (key header %q) = %d, want %d", tc.path, tc.header, resp.StatusCode, tc.want)
		}
		if invoked := len(f.requests()) > before; invoked != (tc.want == 200) || (tc.want == 401 && len(body) != 0) {
			t.Errorf("GET %s: handler invoked %v, body %q", tc.path, invoked, body)
		}
	}
	if _, err := LoadApp(writeApp(t, "", map[string]string{"bad": fn("user")}), nil); err == nil || !strings.Contains(err.Error(), "authLevel") {
		t.Errorf("authLevel user: err = %v", err)
	}
}

// TestHTTPRouteValueWinsOverQuery: the host applies the query to the
// binding data first and the route values after, so a route value replaces
// a query value of the same name (keeping the query's place), and an
// absent optional route value removes it.
func TestHTTPRouteValueWinsOverQuery(t *testing.T) {
	app := writeApp(t, "", map[string]string{"status": `{"bindings":[
 {"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"status/{key}/{part?}"},
 {"type":"http","direction":"out","name":"res"}]}`})
	f := &fakeHandler{}
	h := startHarness(t, harnessConfig{app: app, handler: f})
	front := httptest.NewServer(h.host.Handler())
	defer front.Close()
	resp, err := http.Get(front.URL + "/api/status/from-route?KEY=from-query&part=q&code=secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	body := string(f.requests()[0].Body)
	md := body[strings.Index(body, `"Metadata":`):]
	if want := `"Metadata":{"KEY":"\"from-route\"","Query":{"KEY":"from-query","part":"q","code":"secret"},`; !strings.HasPrefix(md, want) {
		t.Fatalf("Metadata:\n got %s\nwant prefix %s", md, want)
	}
	if !strings.Contains(body, `"Params":{"key":"from-route","part":null}`) {
		t.Fatalf("Data.req.Params: %s", body)
	}
}

func TestRouteTemplates(t *testing.T) {
	cases := []struct {
		route, path string
		match       bool
		params      string
	}{
		{"status/{key}", "/api/status/abc", true, "key=abc"},
		{"status/{key}", "/api/status/abc/def", false, ""},
		{"status/{key?}", "/api/status", true, "key=(null)"},
		{"files/{*rest}", "/api/files/a/b%2Fc", true, "rest=a/b/c"},
		{"items/{id:int}", "/api/items/42", true, "id=42"},
		{"", "/api/fn", true, ""},
		{"", "/api/other", false, ""},
	}
	for _, tc := range cases {
		r, err := newRoute("api", Function{Name: "fn"}, Binding{Route: tc.route})
		if err != nil {
			t.Fatalf("%q: %v", tc.route, err)
		}
		params, ok := r.match(tc.path)
		var ps []string
		for _, p := range params {
			v := p.value
			if p.absent {
				v = "(null)"
			}
			ps = append(ps, p.key+"="+v)
		}
		if ok != tc.match || strings.Join(ps, "&") != tc.params {
			t.Errorf("route %q path %q: match=%v params=%v", tc.route, tc.path, ok, ps)
		}
	}
	for _, bad := range []string{"a/{*rest}/b", "a/x{y}", "a/{}"} {
		if _, err := newRoute("api", Function{Name: "fn"}, Binding{Route: bad}); err == nil {
			t.Errorf("route %q accepted", bad)
		}
	}
}
