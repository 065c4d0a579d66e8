package devhost

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxHTTPTriggerBody bounds a request body forwarded to an HTTP trigger
// (the host's limit is 100 MB; the dev runtime needs far less).
const maxHTTPTriggerBody = 32 << 20

// The keys of the dev runtime. They guard nothing (the dev runtime listens
// on loopback only and its ops API has no key); they exist so that a
// client that forgets the key fails in dev as it would in Azure.
const (
	// DevFunctionKey opens HTTP triggers with authLevel "function".
	DevFunctionKey = "onboard-dev-function-key"
	// DevMasterKey opens every HTTP trigger, "admin" and "system" too.
	DevMasterKey = "onboard-dev-master-key"
)

// authorized applies the trigger's authLevel as the host does: anonymous
// needs nothing; function (the default) a function key or the master key;
// admin and system the master key. The key comes in the code query
// parameter or the x-functions-key header.
func (h *Host) authorized(r *http.Request, level string) bool {
	level = strings.ToLower(level)
	if level == "anonymous" {
		return true
	}
	key := r.Header.Get("x-functions-key")
	if key == "" {
		key = r.URL.Query().Get("code")
	}
	if key == "" {
		return false
	}
	match := func(k string) bool { return subtle.ConstantTimeCompare([]byte(key), []byte(k)) == 1 }
	if match(h.opts.MasterKey) {
		return true
	}
	if level == "admin" || level == "system" {
		return false
	}
	return slices.ContainsFunc(h.opts.FunctionKeys, match)
}

// route is an HTTP trigger's URL template, e.g. api/status/{key}.
type route struct {
	fn       Function
	binding  Binding
	segments []routeSegment
	methods  []string // upper case; empty: any
	template string
}

type routeSegment struct {
	literal  string
	param    string
	optional bool
	catchAll bool
}

func newRoute(prefix string, fn Function, b Binding) (route, error) {
	tmpl := strings.Trim(b.Route, "/")
	if tmpl == "" {
		tmpl = fn.Name
	}
	full := tmpl
	if prefix != "" {
		full = prefix + "/" + tmpl
	}
	r := route{fn: fn, binding: b, template: "/" + full}
	for _, m := range b.Methods {
		r.methods = append(r.methods, strings.ToUpper(m))
	}
	parts := strings.Split(full, "/")
	for i, p := range parts {
		if !strings.Contains(p, "{") {
			if strings.Contains(p, "}") {
				return r, fmt.Errorf("function %s: route %q: segment %q: unbalanced braces", fn.Name, b.Route, p)
			}
			r.segments = append(r.segments, routeSegment{literal: p})
			continue
		}
		if !strings.HasPrefix(p, "{") || !strings.HasSuffix(p, "}") || strings.Count(p, "{") != 1 {
			return r, fmt.Errorf("function %s: route %q: segment %q: the dev runtime supports only whole-segment parameters like {name}", fn.Name, b.Route, p)
		}
		s := routeSegment{}
		name := p[1 : len(p)-1]
		if strings.HasPrefix(name, "*") {
			s.catchAll = true
			name = name[1:]
			if i != len(parts)-1 {
				return r, fmt.Errorf("function %s: route %q: catch-all {*%s} must be the last segment", fn.Name, b.Route, name)
			}
		}
		if strings.HasSuffix(name, "?") {
			s.optional = true
			name = strings.TrimSuffix(name, "?")
		}
		name, _, _ = strings.Cut(name, ":") // constraints (int, alpha, ...) are not enforced
		if name == "" {
			return r, fmt.Errorf("function %s: route %q: empty parameter name", fn.Name, b.Route)
		}
		s.param = name
		r.segments = append(r.segments, s)
	}
	return r, nil
}

// match returns the route values for path, or false.
func (r route) match(path string) ([]queryPair, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	var params []queryPair
	for i, s := range r.segments {
		if i >= len(parts) {
			if s.optional || s.catchAll {
				params = append(params, queryPair{key: s.param, absent: true}) // ASP.NET adds it as null
				continue
			}
			return nil, false
		}
		raw := parts[i]
		switch {
		case s.catchAll:
			rest := strings.Join(parts[i:], "/")
			if u, err := url.PathUnescape(rest); err == nil {
				rest = u
			}
			return append(params, queryPair{key: s.param, value: rest}), true
		case s.param != "":
			v, err := url.PathUnescape(raw)
			if err != nil {
				return nil, false
			}
			params = append(params, queryPair{key: s.param, value: v})
		default:
			if !strings.EqualFold(s.literal, raw) {
				return nil, false
			}
		}
	}
	if len(parts) > len(r.segments) {
		return nil, false
	}
	return params, true
}

func (r route) allows(method string) bool {
	return len(r.methods) == 0 || slices.Contains(r.methods, strings.ToUpper(method))
}

// ServeHTTP serves the HTTP triggers as the host does for a custom handler:
// the request is matched against /<routePrefix>/<route or function name>,
// sent to the handler as POST /{function} with the request in Data[<trigger
// binding>], and answered from Outputs[<http output binding>] (or
// ReturnValue for "$return"). A failed invocation answers 500. With
// customHandler.enableForwardingHttpRequest, HTTP-only functions are
// proxied unchanged instead.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	var rt *route
	var params []queryPair
	methodMismatch := []string{}
	for i := range h.routes {
		p, ok := h.routes[i].match(path)
		if !ok {
			continue
		}
		if !h.routes[i].allows(r.Method) {
			methodMismatch = append(methodMismatch, h.routes[i].methods...)
			continue
		}
		rt, params = &h.routes[i], p
		break
	}
	if rt == nil {
		if len(methodMismatch) > 0 {
			w.Header().Set("Allow", strings.Join(methodMismatch, ", "))
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if path == "/" && r.Method == http.MethodGet {
			fmt.Fprintln(w, "onboard dev: Functions host emulator is running")
			return
		}
		http.NotFound(w, r)
		return
	}
	if !h.authorized(r, rt.binding.AuthLevel) {
		w.WriteHeader(http.StatusUnauthorized) // as the host: no body
		h.opts.Logger.Info("request refused: no valid key for the function's authLevel", "function", rt.fn.Name,
			"authLevel", rt.binding.AuthLevel, "path", r.URL.Path)
		return
	}
	select {
	case <-h.ready:
	case <-r.Context().Done():
		return
	case <-time.After(h.opts.ReadinessTimeout):
		http.Error(w, "the function host is not running yet", http.StatusServiceUnavailable)
		return
	}
	if h.app.Host.EnableForwardingHttpRequest && rt.fn.isHTTPOnly() {
		h.forward(w, r, rt)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHTTPTriggerBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	start := time.Now()
	invID := h.opts.NewID()
	sys := sysData{MethodName: rt.fn.Name, UtcNow: h.opts.Now(), RandGuid: h.opts.NewID()}
	env := httpEnvelope(rt.binding.Name, r, body, params, sys)
	status, res, err := h.invoke(r.Context(), rt.fn.Name, invID, env)
	inv := Invocation{Function: rt.fn.Name, InvocationID: invID, Trigger: rt.binding.Type, StatusCode: status, Err: err, Logs: res.logs}
	sw := &statusWriter{ResponseWriter: w}
	if err == nil {
		err = writeHTTPOutput(sw, rt.fn, res)
		if err != nil {
			inv.Err = &HandlerError{Function: rt.fn.Name, InvocationID: invID, Kind: "body", StatusCode: status, Detail: "http output", Err: err}
		}
	} else {
		sw.WriteHeader(http.StatusInternalServerError)
	}
	inv.ResponseStatus = sw.status
	inv.Duration = time.Since(start)
	h.report(inv)
}

// writeHTTPOutput answers from the function's http output binding; it writes
// a 500 itself when the output is unusable and returns why.
func writeHTTPOutput(w http.ResponseWriter, fn Function, res invocationResult) error {
	var out json.RawMessage
	found := false
	for _, b := range fn.Bindings {
		if strings.EqualFold(b.Type, "http") && !strings.EqualFold(b.Direction, "in") {
			found = true
			if b.Name == "$return" {
				out = res.returnValue
			} else {
				for k, v := range res.outputs {
					if strings.EqualFold(k, b.Name) {
						out = v
					}
				}
			}
			break
		}
	}
	if !found {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 || string(out) == "null" {
		// The host reads a missing (or null) http output as an empty object
		// and answers it as the body (HttpScriptInvocationResultExtensions).
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, err := io.WriteString(w, "{}")
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(out, &fields); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return fmt.Errorf("output must be a JSON object with statusCode, status, body and headers: %w", err)
	}
	get := func(k string) json.RawMessage { v, _ := lookupCI(fields, k); return v }
	status := http.StatusOK
	for _, k := range []string{"statusCode", "status"} {
		raw := get(k)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var n int
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return fmt.Errorf("%s %q is not a number", k, s)
			}
			n = v
		} else if err := json.Unmarshal(raw, &n); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return fmt.Errorf("%s must be a number: %w", k, err)
		}
		if n < 100 || n > 999 {
			w.WriteHeader(http.StatusInternalServerError)
			return fmt.Errorf("%s %d is not an HTTP status", k, n)
		}
		status = n
		break
	}
	var body []byte
	contentType := ""
	if raw := get("body"); len(raw) > 0 && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			body, contentType = []byte(s), "text/plain; charset=utf-8"
		} else {
			body, contentType = raw, "application/json; charset=utf-8"
		}
	}
	if raw := get("headers"); len(raw) > 0 && string(raw) != "null" {
		var hdrs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &hdrs); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return fmt.Errorf("headers must be an object: %w", err)
		}
		for k, v := range hdrs {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v)
			}
			w.Header().Set(k, s)
		}
	}
	if contentType != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// forward proxies an HTTP-only function's request to the handler unchanged
// (enableForwardingHttpRequest), adding the host's headers.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, rt *route) {
	invID := h.opts.NewID()
	start := time.Now()
	status := 0
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(h.handler)
			pr.Out.URL.Path = r.URL.Path
			pr.Out.URL.RawPath = r.URL.RawPath
			pr.Out.Header.Set("X-Azure-Functions-HostVersion", h.opts.HostVersion)
			pr.Out.Header.Set("X-Azure-Functions-InvocationId", invID)
			pr.Out.Header.Set("User-Agent", "Azure-Functions-Host/"+h.opts.HostVersion)
		},
		Transport:      h.client.Transport,
		ModifyResponse: func(resp *http.Response) error { status = resp.StatusCode; return nil },
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			w.WriteHeader(http.StatusInternalServerError)
			h.report(Invocation{Function: rt.fn.Name, InvocationID: invID, Trigger: rt.binding.Type, ResponseStatus: http.StatusInternalServerError,
				Err: &HandlerError{Function: rt.fn.Name, InvocationID: invID, Kind: "transport", Err: err}, Duration: time.Since(start)})
		},
	}
	proxy.ServeHTTP(w, r)
	if status != 0 {
		h.report(Invocation{Function: rt.fn.Name, InvocationID: invID, Trigger: rt.binding.Type, StatusCode: status, ResponseStatus: status, Duration: time.Since(start)})
	}
}

// FunctionInfo describes a loaded function for listings (GET /_dev/functions).
type FunctionInfo struct {
	Name     string   `json:"name"`
	Trigger  string   `json:"trigger"`
	Queue    string   `json:"queue,omitempty"`
	DataType string   `json:"dataType,omitempty"`
	Route    string   `json:"route,omitempty"`
	Methods  []string `json:"methods,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
}

// Functions lists the loaded functions with their triggers.
func (h *Host) Functions() []FunctionInfo {
	var out []FunctionInfo
	for _, fn := range h.app.Functions {
		tr, _ := fn.Trigger()
		fi := FunctionInfo{Name: fn.Name, Trigger: tr.Type, Disabled: fn.Disabled}
		switch strings.ToLower(tr.Type) {
		case "servicebustrigger":
			fi.Queue, fi.DataType = tr.QueueName, tr.DataType
		case "httptrigger":
			for _, r := range h.routes {
				if r.fn.Name == fn.Name {
					fi.Route, fi.Methods = r.template, r.methods
				}
			}
		}
		out = append(out, fi)
	}
	return out
}

// Handler returns the emulator's whole HTTP surface: the ops API under
// /_dev/ (see NewAdminHandler), GET /_dev/functions, and the HTTP triggers.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/_dev/", NewAdminHandler(h.opts.Broker, h.opts.Logger))
	mux.HandleFunc("GET /_dev/functions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.Functions())
	})
	mux.Handle("/", h)
	return mux
}

// statusWriter remembers the status written to the caller of an HTTP
// function (200 when the body is written without a header first).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
