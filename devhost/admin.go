package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Headers of POST /_dev/queues/{queue}/messages that set message properties
// (Content-Type sets ContentType).
const (
	HeaderMessageID             = "X-Message-Id"
	HeaderCorrelationID         = "X-Correlation-Id"
	HeaderSubject               = "X-Subject"
	HeaderReplyTo               = "X-Reply-To"
	HeaderTo                    = "X-To"
	HeaderScheduledEnqueueTime  = "X-Scheduled-Enqueue-Time"
	HeaderTimeToLive            = "X-Time-To-Live"
	HeaderApplicationProperties = "X-Application-Properties"
)

// maxSendBody bounds a message body sent through the ops API (Service Bus
// Premium allows 100 MB; Standard 256 KB).
const maxSendBody = 16 << 20

// MessageView is the JSON form of a message in the ops API.
type MessageView struct {
	MessageID                  string         `json:"messageId"`
	SequenceNumber             int64          `json:"sequenceNumber"`
	State                      MessageState   `json:"state"`
	ContentType                string         `json:"contentType,omitempty"`
	Subject                    string         `json:"subject,omitempty"`
	CorrelationID              string         `json:"correlationId,omitempty"`
	ReplyTo                    string         `json:"replyTo,omitempty"`
	To                         string         `json:"to,omitempty"`
	ApplicationProperties      map[string]any `json:"applicationProperties,omitempty"`
	EnqueuedTime               time.Time      `json:"enqueuedTime"`
	ScheduledEnqueueTime       *time.Time     `json:"scheduledEnqueueTime,omitempty"`
	ExpiresAt                  *time.Time     `json:"expiresAt,omitempty"`
	TimeToLive                 string         `json:"timeToLive,omitempty"`
	DeliveryCount              int            `json:"deliveryCount"`
	LockedUntil                *time.Time     `json:"lockedUntil,omitempty"`
	DeadLetterReason           string         `json:"deadLetterReason,omitempty"`
	DeadLetterErrorDescription string         `json:"deadLetterErrorDescription,omitempty"`
	DeadLetterSource           string         `json:"deadLetterSource,omitempty"`
	DeadLetteredAt             *time.Time     `json:"deadLetteredAt,omitempty"`
	// LockToken settles a delivery; only the peek-lock receive route
	// answers with it (listings never show the host's locks).
	LockToken string `json:"lockToken,omitempty"`
	// Body is base64 in JSON; BodyText repeats it as text when it is
	// valid UTF-8, for people reading the API with curl.
	Body     []byte `json:"body"`
	BodyText string `json:"bodyText,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewOf(m ReceivedMessage) MessageView {
	v := MessageView{
		MessageID: m.MessageID, SequenceNumber: m.SequenceNumber, State: m.State, ContentType: m.ContentType,
		Subject: m.Subject, CorrelationID: m.CorrelationID, ReplyTo: m.ReplyTo, To: m.To,
		EnqueuedTime: m.EnqueuedTime, ScheduledEnqueueTime: timePtr(m.ScheduledEnqueueTime),
		ExpiresAt: timePtr(m.ExpiresAt), DeliveryCount: m.DeliveryCount, LockedUntil: timePtr(m.LockedUntil),
		DeadLetterReason: m.DeadLetterReason, DeadLetterErrorDescription: m.DeadLetterErrorDescription,
		DeadLetterSource: m.DeadLetterSource, DeadLetteredAt: timePtr(m.DeadLetteredAt), Body: m.Body,
	}
	if v.Body == nil {
		v.Body = []byte{}
	}
	if m.TimeToLive > 0 {
		v.TimeToLive = m.TimeToLive.String()
	}
	if len(m.ApplicationProperties) > 0 {
		v.ApplicationProperties = map[string]any{}
		for k, x := range m.ApplicationProperties {
			if t, ok := x.(time.Time); ok {
				x = t.UTC().Format(time.RFC3339Nano)
			}
			v.ApplicationProperties[k] = x
		}
	}
	if utf8.Valid(m.Body) {
		v.BodyText = string(m.Body)
	}
	return v
}

// toReceived converts a view back (application property values keep their
// JSON types: string, float64/int64, bool, nil).
func (v MessageView) toReceived() ReceivedMessage {
	m := ReceivedMessage{
		Message: Message{MessageID: v.MessageID, Body: v.Body, ContentType: v.ContentType, Subject: v.Subject,
			CorrelationID: v.CorrelationID, ReplyTo: v.ReplyTo, To: v.To, ApplicationProperties: v.ApplicationProperties},
		SequenceNumber: v.SequenceNumber, EnqueuedTime: v.EnqueuedTime, DeliveryCount: v.DeliveryCount, State: v.State,
		DeadLetterReason: v.DeadLetterReason, DeadLetterErrorDescription: v.DeadLetterErrorDescription,
		DeadLetterSource: v.DeadLetterSource,
	}
	if v.ScheduledEnqueueTime != nil {
		m.ScheduledEnqueueTime = *v.ScheduledEnqueueTime
	}
	if v.ExpiresAt != nil {
		m.ExpiresAt = *v.ExpiresAt
	}
	if v.LockedUntil != nil {
		m.LockedUntil = *v.LockedUntil
	}
	if v.DeadLetteredAt != nil {
		m.DeadLetteredAt = *v.DeadLetteredAt
	}
	m.LockToken = v.LockToken
	if d, err := time.ParseDuration(v.TimeToLive); err == nil {
		m.TimeToLive = d
	}
	return m
}

// SendResultView is the JSON answer of POST /_dev/queues/{queue}/messages.
type SendResultView struct {
	Queue          string `json:"queue"`
	MessageID      string `json:"messageId"`
	SequenceNumber int64  `json:"sequenceNumber,omitempty"`
	Duplicate      bool   `json:"duplicate"`
	Scheduled      bool   `json:"scheduled"`
}

// PurgeResultView is the JSON answer of DELETE /_dev/queues/{queue}/deadletter.
type PurgeResultView struct {
	Queue  string `json:"queue"`
	Purged int    `json:"purged"`
}

// errorView is the JSON body of every error answer.
type errorView struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorView{Error: err.Error()})
}

// NewAdminHandler returns the ops API of the dev runtime over b. Routes:
//
//	GET    /_dev/queues                                   list queues with counts
//	GET    /_dev/queues/{queue}                           counts: active, locked, scheduled, deadLetter
//	POST   /_dev/queues/{queue}/messages                  send (body = message body; see below); 201
//	GET    /_dev/queues/{queue}/messages                  peek the main queue (active, locked, scheduled)
//	GET    /_dev/queues/{queue}/deadletter                list the dead-letter sub-queue
//	DELETE /_dev/queues/{queue}/deadletter                purge it: {"purged": n}
//	GET    /_dev/queues/{queue}/deadletter/{messageId}    one dead letter (404 if none)
//	POST   /_dev/queues/{queue}/deadletter/{messageId}/replay
//	                                                      resubmit with a fresh MessageId, remove from the DLQ
//	POST   /_dev/queues/{queue}/messages/head?timeout=s   peek-lock receive: 201 message with lockToken, 204 none
//	DELETE /_dev/queues/{queue}/messages/{seq}/{lockToken} complete
//	PUT    /_dev/queues/{queue}/messages/{seq}/{lockToken} abandon (unlock)
//	POST   /_dev/queues/{queue}/messages/{seq}/{lockToken}/deadletter
//	                                                      dead-letter; body {"reason","description"}
//
// The peek-lock routes follow the Service Bus REST API (Peek-Lock Message,
// Delete Message, Unlock Message) and compete with the host's receivers:
// use them on a queue no trigger reads. A lost lock answers 410.
//
// A messageId containing "/" must be path-escaped (%2F). Sending: the
// request body is the message body; Content-Type sets ContentType;
// X-Message-Id, X-Correlation-Id, X-Subject, X-Reply-To and X-To set those
// properties; X-Scheduled-Enqueue-Time is RFC 3339 or a delay from now
// ("30s"); X-Time-To-Live is a Go duration ("10m") or seconds;
// X-Application-Properties is a JSON object of string, number, bool or null
// values. A duplicate MessageId within the window answers 201 with
// "duplicate": true (accepted and dropped, as Service Bus does). Errors
// answer {"error": "..."} with 400 (bad input), 404 (unknown queue or
// message) or 409 (closed).
func NewAdminHandler(b *Broker, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	a := &admin{b: b, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/queues", a.listQueues)
	mux.HandleFunc("GET /_dev/queues/{queue}", a.withQueue(a.stats))
	mux.HandleFunc("POST /_dev/queues/{queue}/messages", a.send)
	mux.HandleFunc("GET /_dev/queues/{queue}/messages", a.withQueue(a.peek))
	mux.HandleFunc("GET /_dev/queues/{queue}/deadletter", a.withQueue(a.deadLetters))
	mux.HandleFunc("DELETE /_dev/queues/{queue}/deadletter", a.withQueue(a.purge))
	mux.HandleFunc("GET /_dev/queues/{queue}/deadletter/{messageId}", a.withQueue(a.deadLetter))
	mux.HandleFunc("POST /_dev/queues/{queue}/deadletter/{messageId}/replay", a.withQueue(a.replay))
	mux.HandleFunc("POST /_dev/queues/{queue}/messages/head", a.receive)
	mux.HandleFunc("DELETE /_dev/queues/{queue}/messages/{seq}/{lockToken}", a.withQueue(a.settle))
	mux.HandleFunc("PUT /_dev/queues/{queue}/messages/{seq}/{lockToken}", a.withQueue(a.settle))
	mux.HandleFunc("POST /_dev/queues/{queue}/messages/{seq}/{lockToken}/deadletter", a.withQueue(a.settle))
	mux.HandleFunc("/_dev/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no ops route %s %s", r.Method, r.URL.Path))
	})
	return mux
}

type admin struct {
	b   *Broker
	log *slog.Logger
}

func (a *admin) withQueue(next func(http.ResponseWriter, *http.Request, *Queue)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("queue")
		q, ok := a.b.Lookup(name)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("queue %q not found (queues: %s)", name, strings.Join(a.b.Names(), ", ")))
			return
		}
		next(w, r, q)
	}
}

func (a *admin) listQueues(w http.ResponseWriter, _ *http.Request) {
	out := []QueueStats{}
	for _, n := range a.b.Names() {
		if q, ok := a.b.Lookup(n); ok {
			out = append(out, q.Stats())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *admin) stats(w http.ResponseWriter, _ *http.Request, q *Queue) {
	writeJSON(w, http.StatusOK, q.Stats())
}

func views(ms []ReceivedMessage) []MessageView {
	out := make([]MessageView, len(ms))
	for i, m := range ms {
		out[i] = viewOf(m)
	}
	return out
}

func (a *admin) peek(w http.ResponseWriter, _ *http.Request, q *Queue) {
	writeJSON(w, http.StatusOK, views(q.Peek()))
}

func (a *admin) deadLetters(w http.ResponseWriter, _ *http.Request, q *Queue) {
	writeJSON(w, http.StatusOK, views(q.DeadLetters()))
}

func (a *admin) deadLetter(w http.ResponseWriter, r *http.Request, q *Queue) {
	m, err := q.DeadLetterByID(r.PathValue("messageId"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(m))
}

func (a *admin) replay(w http.ResponseWriter, r *http.Request, q *Queue) {
	res, err := q.ReplayDeadLetter(r.Context(), r.PathValue("messageId"))
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	a.log.Info("dead letter replayed", "queue", q.Name(), "messageId", res.OldMessageID, "newMessageId", res.NewMessageID)
	writeJSON(w, http.StatusOK, res)
}

func (a *admin) purge(w http.ResponseWriter, _ *http.Request, q *Queue) {
	n, err := q.PurgeDeadLetters()
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	a.log.Info("dead letters purged", "queue", q.Name(), "count", n)
	writeJSON(w, http.StatusOK, PurgeResultView{Queue: q.Name(), Purged: n})
}

// receive takes the next message under a peek-lock, waiting up to timeout
// seconds (default 60, as Service Bus) for one; 204 when none came.
func (a *admin) receive(w http.ResponseWriter, r *http.Request) {
	q, err := a.b.Queue(r.PathValue("queue"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	wait := 60 * time.Second
	if v := r.URL.Query().Get("timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("timeout: %q is not a number of seconds", v))
			return
		}
		wait = time.Duration(n) * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	m, err := q.Receive(ctx)
	if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	v := viewOf(m)
	v.LockToken = m.LockToken
	writeJSON(w, http.StatusCreated, v)
}

// settle completes (DELETE), abandons (PUT) or dead-letters (POST
// …/deadletter) the delivery holding lockToken.
func (a *admin) settle(w http.ResponseWriter, r *http.Request, q *Queue) {
	tok := r.PathValue("lockToken")
	var err error
	switch r.Method {
	case http.MethodDelete:
		err = q.Complete(tok)
	case http.MethodPut:
		err = q.Abandon(tok)
	default:
		var body struct {
			Reason      string `json:"reason"`
			Description string `json:"description"`
		}
		if derr := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); derr != nil && !errors.Is(derr, io.EOF) {
			writeError(w, http.StatusBadRequest, fmt.Errorf("body: must be {\"reason\": …, \"description\": …}: %w", derr))
			return
		}
		err = q.DeadLetter(tok, body.Reason, body.Description)
	}
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"queue": q.Name(), "lockToken": tok})
}

func statusOf(err error) int {
	var inv *InvalidMessageError
	switch {
	case errors.Is(err, ErrLockLost):
		return http.StatusGone
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrClosed):
		return http.StatusConflict
	case errors.As(err, &inv):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

func (a *admin) send(w http.ResponseWriter, r *http.Request) {
	q, err := a.b.Queue(r.PathValue("queue"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	msg, err := messageFromRequest(w, r, time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := q.Send(r.Context(), msg)
	if err != nil {
		writeError(w, statusOf(err), err)
		return
	}
	a.log.Info("message sent", "queue", q.Name(), "messageId", res.MessageID, "sequenceNumber", res.SequenceNumber,
		"duplicate", res.Duplicate, "scheduled", res.Scheduled)
	writeJSON(w, http.StatusCreated, SendResultView{Queue: q.Name(), MessageID: res.MessageID,
		SequenceNumber: res.SequenceNumber, Duplicate: res.Duplicate, Scheduled: res.Scheduled})
}

// messageFromRequest reads a message from the body and headers of a send.
func messageFromRequest(w http.ResponseWriter, r *http.Request, now time.Time) (Message, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSendBody))
	if err != nil {
		return Message{}, fmt.Errorf("body: %w", err)
	}
	h := r.Header
	m := Message{Body: body, ContentType: h.Get("Content-Type"), MessageID: h.Get(HeaderMessageID),
		CorrelationID: h.Get(HeaderCorrelationID), Subject: h.Get(HeaderSubject), ReplyTo: h.Get(HeaderReplyTo), To: h.Get(HeaderTo)}
	if v := strings.TrimSpace(h.Get(HeaderScheduledEnqueueTime)); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			m.ScheduledEnqueueTime = t
		} else if d, derr := time.ParseDuration(v); derr == nil {
			m.ScheduledEnqueueTime = now.Add(d)
		} else {
			return m, fmt.Errorf("%s: %q is neither RFC 3339 time nor a delay like \"30s\"", HeaderScheduledEnqueueTime, v)
		}
	}
	if v := strings.TrimSpace(h.Get(HeaderTimeToLive)); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			m.TimeToLive = d
		} else if s, serr := strconv.ParseFloat(v, 64); serr == nil && s > 0 {
			m.TimeToLive = time.Duration(s * float64(time.Second))
		} else {
			return m, fmt.Errorf("%s: %q is not a positive duration (\"10m\") or number of seconds", HeaderTimeToLive, v)
		}
	}
	if v := strings.TrimSpace(h.Get(HeaderApplicationProperties)); v != "" {
		props, err := decodeJSONProps(v)
		if err != nil {
			return m, fmt.Errorf("%s: %w", HeaderApplicationProperties, err)
		}
		m.ApplicationProperties = props
	}
	return m, nil
}

// decodeJSONProps decodes a JSON object of scalar values; integral numbers
// become int64, others float64.
func decodeJSONProps(s string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("must be a JSON object: %w", err)
	}
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				out[k] = i
			} else if f, err := x.Float64(); err == nil {
				out[k] = f
			} else {
				return nil, fmt.Errorf("%q: %s is not a number", k, x)
			}
		case string, bool, nil:
			out[k] = x
		default:
			return nil, fmt.Errorf("%q: values must be strings, numbers, booleans or null, not %T", k, v)
		}
	}
	return out, nil
}
