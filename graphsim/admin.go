package graphsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// serveAdmin answers the test/admin API under /_sim/ (never subject to
// knobs). See docs/graphsim.md.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	var segs []string
	for _, p := range strings.Split(strings.Trim(strings.TrimPrefix(r.URL.EscapedPath(), "/_sim"), "/"), "/") {
		if p == "" {
			continue
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		segs = append(segs, p)
	}
	fail := func(status int, code, msg string) {
		s.writeResponse(w, r, errResponse(errorf(status, code, "%s", msg)))
	}
	ok := func(status int, body any) { s.writeResponse(w, r, jsonResponse(status, body)) }
	path := strings.Join(segs, "/")
	switch {
	case path == "health" && r.Method == http.MethodGet:
		ok(http.StatusOK, map[string]any{"status": "ok", "domain": s.Domain(), "tenantId": s.TenantID()})
	case path == "state" && r.Method == http.MethodGet:
		ok(http.StatusOK, s.State())
	case path == "requests" && r.Method == http.MethodGet:
		ok(http.StatusOK, map[string]any{"counts": s.RequestCounts()})
	case path == "knobs" && r.Method == http.MethodGet:
		ok(http.StatusOK, s.Knobs())
	case path == "knobs" && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			fail(http.StatusBadRequest, CodeBadRequest, "could not read the body: "+err.Error())
			return
		}
		k := Knobs{}
		if r.Method == http.MethodPatch {
			k = s.Knobs()
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			fail(http.StatusBadRequest, CodeBadRequest, "knobs: the body must be a JSON object: "+err.Error())
			return
		}
		var check knobsJSON
		if err := dec.Decode(&check); err != nil {
			fail(http.StatusBadRequest, CodeBadRequest, "knobs: "+err.Error())
			return
		}
		if err := k.UnmarshalJSON(b); err != nil {
			fail(http.StatusBadRequest, CodeBadRequest, err.Error())
			return
		}
		if err := s.SetKnobs(k); err != nil {
			fail(http.StatusBadRequest, CodeBadRequest, err.Error())
			return
		}
		ok(http.StatusOK, s.Knobs())
	case path == "reset" && r.Method == http.MethodPost:
		s.Reset()
		if err := s.persist(); err != nil {
			fail(http.StatusInternalServerError, codeInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "accept" && r.Method == http.MethodPost:
		u, err := s.Accept(segs[1])
		switch {
		case errors.Is(err, ErrNotFound):
			fail(http.StatusNotFound, CodeResourceNotFound, err.Error())
		case err != nil:
			fail(http.StatusBadRequest, CodeBadRequest, err.Error())
		case s.persist() != nil:
			fail(http.StatusInternalServerError, codeInternalServerError, "graphsim: the acceptance could not be saved to the tenant file")
		default:
			ok(http.StatusOK, u)
		}
	case len(segs) == 2 && segs[0] == "emails" && r.Method == http.MethodGet:
		ok(http.StatusOK, map[string]any{"address": segs[1], "emails": nonNil(s.EmailsSent(segs[1]))})
	default:
		fail(http.StatusNotFound, "NotFound", "unknown admin endpoint "+r.Method+" "+r.URL.Path+
			"; see GET /_sim/state, /_sim/requests, /_sim/knobs, /_sim/emails/{address}, POST /_sim/reset, /_sim/users/{id-or-email}/accept")
	}
}

func nonNil(e []Email) []Email {
	if e == nil {
		return []Email{}
	}
	return e
}
