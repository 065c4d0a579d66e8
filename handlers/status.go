package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// StatusKeyParam is the route parameter and query-string name of the
// onboarding to look up (route "onboarding/{key}", or "?key=").
const StatusKeyParam = "key"

// httpTriggerRequest is Data[<httpTrigger binding>] as the host sends it
// (azure-functions-host GetRequestAsJObject): Query is a string holding a
// JSON object in older hosts and a real object in newer ones; Headers map
// names to arrays of values; Params holds the route values; Body is the
// request body as a string (base64 for octet-stream/multipart).
type httpTriggerRequest struct {
	URL     string                     `json:"Url"`
	Method  string                     `json:"Method"`
	Query   json.RawMessage            `json:"Query"`
	Headers map[string]json.RawMessage `json:"Headers"`
	Params  map[string]any             `json:"Params"`
	Body    json.RawMessage            `json:"Body"`
}

// httpOutput is the value of Outputs[<http output binding>]. Some host
// versions require all of StatusCode, Status, Body and Headers
// (HttpOutputBindingResponse, Required.Always), so all four are sent.
type httpOutput struct {
	StatusCode int               `json:"statusCode"`
	Status     int               `json:"status"`
	Body       string            `json:"body"`
	Headers    map[string]string `json:"headers"`
}

// StatusSummary is the compact view of an onboarding record, answered for
// "?view=summary".
type StatusSummary struct {
	Key             string         `json:"key"`
	Phase           workflow.Phase `json:"phase"`
	GuestID         string         `json:"guestId,omitempty"`
	RequestIDs      []string       `json:"requestIds,omitempty"`
	InviteStatus    string         `json:"inviteStatus,omitempty"`
	EmailsSent      int            `json:"emailsSent"`
	RemindersSent   int            `json:"remindersSent"`
	NextReminder    int            `json:"nextReminder,omitempty"`
	NextReminderDue *time.Time     `json:"nextReminderDue,omitempty"`
	LastError       string         `json:"lastError,omitempty"`
	Failure         string         `json:"failure,omitempty"`
	UpdatedAt       time.Time      `json:"updatedAt"`
}

// Summarize builds the compact status view of rec.
func Summarize(rec workflow.Record) StatusSummary {
	s := StatusSummary{
		Key:           rec.Key,
		Phase:         rec.Phase,
		GuestID:       rec.GuestID,
		RequestIDs:    rec.RequestIDs,
		InviteStatus:  rec.Invite.Status,
		EmailsSent:    rec.Invite.EmailsSent,
		RemindersSent: rec.Reminders.Sent,
		NextReminder:  rec.Reminders.Next,
		LastError:     rec.LastError,
		UpdatedAt:     rec.UpdatedAt,
	}
	if !rec.Reminders.NextDue.IsZero() {
		due := rec.Reminders.NextDue
		s.NextReminderDue = &due
	}
	if rec.Failure != nil {
		s.Failure = rec.Failure.Reason
	}
	return s
}

// serveStatus answers the status HTTP function through the custom-handler
// envelope: the invocation itself succeeds (200) and the HTTP answer for
// the caller travels in Outputs[StatusOutput]. Only an undecodable envelope
// fails the invocation.
func (h *handler) serveStatus(w http.ResponseWriter, r *http.Request, function string) {
	start := time.Now()
	ctx := r.Context()
	log := h.log.With(logkey.Function, function, logkey.InvocationID, r.Header.Get(InvocationIDHeader))

	raw, err := h.readEnvelope(w, r)
	var req httpTriggerRequest
	var meta map[string]json.RawMessage
	if err == nil {
		req, meta, err = decodeHTTPEnvelope(raw, h.opts.StatusBinding)
	}
	if err != nil {
		log.Error("status request rejected", logkey.Outcome, OutcomeRejected, logkey.Error, workflow.MaskEmails(err.Error()))
		writeInvoke(w, http.StatusInternalServerError, nil, []string{"invalid invocation envelope: " + err.Error()})
		return
	}
	query := req.values()
	key := statusKey(req, query, meta)
	log = log.With(logkey.Key, workflow.MaskEmails(key))

	reply := func(code int, body any, line string) {
		b, err := json.Marshal(body)
		if err != nil {
			code, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode status"}`)
		}
		out := httpOutput{StatusCode: code, Status: code, Body: string(b),
			Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}}
		log.Info("status answered", logkey.StatusCode, code, logkey.DurationMs, time.Since(start).Milliseconds())
		writeInvoke(w, http.StatusOK, map[string]any{h.opts.StatusOutput: out}, []string{line})
	}

	if key == "" {
		reply(http.StatusBadRequest, map[string]string{"error": "missing onboarding key: use /api/onboarding/{key} or ?key= (email, guest object id or procurement request id)"},
			"status: missing key")
		return
	}
	if h.opts.Status == nil {
		reply(http.StatusInternalServerError, map[string]string{"error": "status lookup is not configured"}, "status: not configured")
		return
	}
	rec, err, panicked := h.lookup(ctx, key)
	switch {
	case panicked != nil:
		log.Error("status reader panicked", logkey.Panic, workflow.MaskEmails(toString(panicked.value)), logkey.Stack, string(panicked.stack))
		reply(http.StatusInternalServerError, map[string]string{"error": "internal error"}, "status: internal error")
	case errors.Is(err, workflow.ErrNotFound):
		reply(http.StatusNotFound, map[string]string{"error": "no onboarding found", "key": key},
			"status "+workflow.MaskEmails(key)+": not found")
	case err != nil && workflow.IsPermanent(err):
		reply(http.StatusBadRequest, map[string]string{"error": err.Error()}, "status "+workflow.MaskEmails(key)+": "+workflow.MaskEmails(err.Error()))
	case err != nil:
		log.Error("status lookup failed", logkey.Error, workflow.MaskEmails(err.Error()))
		reply(http.StatusInternalServerError, map[string]string{"error": "status lookup failed"}, "status "+workflow.MaskEmails(key)+": lookup failed")
	case strings.EqualFold(lookupFold(query, "view"), "summary"):
		reply(http.StatusOK, Summarize(rec), fmt.Sprintf("status %s: %s", workflow.MaskEmail(rec.Key), rec.Phase))
	default:
		reply(http.StatusOK, rec, fmt.Sprintf("status %s: %s", workflow.MaskEmail(rec.Key), rec.Phase))
	}
}

// lookup calls the status reader, containing a panic.
func (h *handler) lookup(ctx context.Context, key string) (rec workflow.Record, err error, p *panicInfo) {
	defer func() {
		if v := recover(); v != nil {
			p = &panicInfo{value: v, stack: debug.Stack()}
		}
	}()
	rec, err = h.opts.Status.Status(ctx, key)
	return rec, err, nil
}

// decodeHTTPEnvelope decodes the envelope of an HTTP-triggered function.
func decodeHTTPEnvelope(raw []byte, binding string) (httpTriggerRequest, map[string]json.RawMessage, error) {
	var env invokeRequest
	var req httpTriggerRequest
	if err := json.Unmarshal(raw, &env); err != nil {
		return req, nil, fieldError("envelope", "must be a JSON object with Data and Metadata: %v", err)
	}
	data, ok := env.Data[binding]
	if !ok || isNull(data) {
		return req, env.Metadata, fieldError("Data."+binding, "missing: the HTTP trigger binding %q carries no request", binding)
	}
	data = bytes.TrimSpace(data)
	if data[0] == '"' { // tolerate a string holding the JSON object
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return req, env.Metadata, fieldError("Data."+binding, "must be a JSON object: %v", err)
		}
		data = []byte(s)
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return req, env.Metadata, fieldError("Data."+binding, "must be a JSON object with Url, Method, Query, Headers, Params: %v", err)
	}
	return req, env.Metadata, nil
}

// values returns the request's query parameters: from Query (a JSON
// object, or a string holding one), else parsed from Url.
func (req httpTriggerRequest) values() map[string]string {
	out := map[string]string{}
	raw := bytes.TrimSpace(req.Query)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			raw = []byte(s)
		}
	}
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			if v != nil {
				out[k] = fmt.Sprint(v)
			}
		}
	}
	if len(out) == 0 && req.URL != "" {
		if u, err := url.Parse(req.URL); err == nil {
			for k, vs := range u.Query() {
				if len(vs) > 0 {
					out[k] = vs[0]
				}
			}
		}
	}
	return out
}

// statusKey finds the key: route parameter, then query string, then the
// trigger metadata (where the host also puts route values).
func statusKey(req httpTriggerRequest, query map[string]string, meta map[string]json.RawMessage) string {
	for k, v := range req.Params {
		if strings.EqualFold(k, StatusKeyParam) && v != nil {
			if s := unescape(fmt.Sprint(v)); s != "" {
				return s
			}
		}
	}
	if s := strings.TrimSpace(lookupFold(query, StatusKeyParam)); s != "" {
		return s
	}
	if s, ok, err := metaString(meta, StatusKeyParam); err == nil && ok {
		return unescape(s)
	}
	return ""
}

// unescape undoes percent-encoding left in a route value ("ada%40x.com").
func unescape(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
	}
	return s
}

func lookupFold(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
