package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultDevURL is where `onboard dev` listens (the Functions Core Tools port).
const DefaultDevURL = "http://127.0.0.1:7071"

// Client talks to the ops API of a running dev runtime over HTTP (see
// NewAdminHandler); the `onboard send` and `onboard dlq` commands use it
// with --dev-url.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client for the dev runtime at baseURL (DefaultDevURL
// when empty); hc nil means a client with a 30-second timeout.
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultDevURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("dev url %q: must be an absolute http URL like %s", baseURL, DefaultDevURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimSuffix(u.String(), "/"), http: hc}, nil
}

// APIError is a non-2xx answer of the ops API.
type APIError struct {
	Method     string
	URL        string
	StatusCode int
	Message    string
}

// Error describes the failed call and the API's message.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Message)
}

// Is makes a 404 match ErrNotFound.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

func queuePath(queue string, rest ...string) string {
	p := "/_dev/queues/" + url.PathEscape(queue)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, hdr http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("dev runtime at %s: %w (is `onboard dev` running?)", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer: %w", method, req.URL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var ev errorView
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &ev) == nil && ev.Error != "" {
			msg = ev.Error
		}
		return &APIError{Method: method, URL: req.URL.String(), StatusCode: resp.StatusCode, Message: msg}
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, req.URL, err)
		}
	}
	return nil
}

// Send sends msg to queue (creating the queue if needed). Application
// property values travel as JSON: time.Time becomes RFC 3339 text and
// []byte base64 text.
func (c *Client) Send(ctx context.Context, queue string, msg Message) (SendResultView, error) {
	hdr := http.Header{}
	set := func(k, v string) {
		if v != "" {
			hdr.Set(k, v)
		}
	}
	set("Content-Type", msg.ContentType)
	set(HeaderMessageID, msg.MessageID)
	set(HeaderCorrelationID, msg.CorrelationID)
	set(HeaderSubject, msg.Subject)
	set(HeaderReplyTo, msg.ReplyTo)
	set(HeaderTo, msg.To)
	if !msg.ScheduledEnqueueTime.IsZero() {
		set(HeaderScheduledEnqueueTime, msg.ScheduledEnqueueTime.UTC().Format(time.RFC3339Nano))
	}
	if msg.TimeToLive > 0 {
		set(HeaderTimeToLive, msg.TimeToLive.String())
	}
	if len(msg.ApplicationProperties) > 0 {
		props, err := json.Marshal(msg.ApplicationProperties)
		if err != nil {
			return SendResultView{}, fmt.Errorf("send to %s: application properties: %w", queue, err)
		}
		set(HeaderApplicationProperties, string(props))
	}
	var res SendResultView
	err := c.do(ctx, http.MethodPost, queuePath(queue, "messages"), bytes.NewReader(msg.Body), hdr, &res)
	return res, err
}

// Queues lists every queue with its counts.
func (c *Client) Queues(ctx context.Context) ([]QueueStats, error) {
	var out []QueueStats
	err := c.do(ctx, http.MethodGet, "/_dev/queues", nil, nil, &out)
	return out, err
}

// Stats returns a queue's counts (error wrapping ErrNotFound for an unknown queue).
func (c *Client) Stats(ctx context.Context, queue string) (QueueStats, error) {
	var out QueueStats
	err := c.do(ctx, http.MethodGet, queuePath(queue), nil, nil, &out)
	return out, err
}

func received(vs []MessageView) []ReceivedMessage {
	out := make([]ReceivedMessage, len(vs))
	for i, v := range vs {
		out[i] = v.toReceived()
	}
	return out
}

// Peek returns the main queue's messages (active, locked, scheduled).
func (c *Client) Peek(ctx context.Context, queue string) ([]ReceivedMessage, error) {
	var vs []MessageView
	if err := c.do(ctx, http.MethodGet, queuePath(queue, "messages"), nil, nil, &vs); err != nil {
		return nil, err
	}
	return received(vs), nil
}

// DeadLetters lists the queue's dead-letter sub-queue, oldest first.
func (c *Client) DeadLetters(ctx context.Context, queue string) ([]ReceivedMessage, error) {
	var vs []MessageView
	if err := c.do(ctx, http.MethodGet, queuePath(queue, "deadletter"), nil, nil, &vs); err != nil {
		return nil, err
	}
	return received(vs), nil
}

// DeadLetter returns one dead letter by MessageId (error wrapping
// ErrNotFound when there is none).
func (c *Client) DeadLetter(ctx context.Context, queue, messageID string) (ReceivedMessage, error) {
	var v MessageView
	if err := c.do(ctx, http.MethodGet, queuePath(queue, "deadletter", url.PathEscape(messageID)), nil, nil, &v); err != nil {
		return ReceivedMessage{}, err
	}
	return v.toReceived(), nil
}

// Replay resubmits a dead letter with a fresh MessageId and removes it from
// the dead-letter sub-queue.
func (c *Client) Replay(ctx context.Context, queue, messageID string) (ReplayResult, error) {
	var out ReplayResult
	err := c.do(ctx, http.MethodPost, queuePath(queue, "deadletter", url.PathEscape(messageID), "replay"), nil, nil, &out)
	return out, err
}

// Purge empties the dead-letter sub-queue and returns how many it removed.
func (c *Client) Purge(ctx context.Context, queue string) (int, error) {
	var out PurgeResultView
	err := c.do(ctx, http.MethodDelete, queuePath(queue, "deadletter"), nil, nil, &out)
	return out.Purged, err
}

// Receive takes the next message of queue under a peek-lock, waiting up to
// wait (whole seconds) for one; ok is false when none came. Settle it with
// Complete, Abandon or DeadLetterMessage.
func (c *Client) Receive(ctx context.Context, queue string, wait time.Duration) (m ReceivedMessage, ok bool, err error) {
	var v MessageView
	path := queuePath(queue, "messages", "head") + "?timeout=" + strconv.Itoa(int(wait/time.Second))
	err = c.do(ctx, http.MethodPost, path, nil, nil, &v)
	if err != nil || v.LockToken == "" { // 204: nothing came
		return ReceivedMessage{}, false, err
	}
	return v.toReceived(), true, nil
}

func lockPath(queue string, m ReceivedMessage) string {
	return queuePath(queue, "messages", strconv.FormatInt(m.SequenceNumber, 10), url.PathEscape(m.LockToken))
}

// Complete removes a message received with Receive.
func (c *Client) Complete(ctx context.Context, queue string, m ReceivedMessage) error {
	return c.do(ctx, http.MethodDelete, lockPath(queue, m), nil, nil, nil)
}

// Abandon releases a message received with Receive for redelivery.
func (c *Client) Abandon(ctx context.Context, queue string, m ReceivedMessage) error {
	return c.do(ctx, http.MethodPut, lockPath(queue, m), nil, nil, nil)
}

// DeadLetterMessage moves a message received with Receive to the
// dead-letter sub-queue.
func (c *Client) DeadLetterMessage(ctx context.Context, queue string, m ReceivedMessage, reason, description string) error {
	body, _ := json.Marshal(map[string]string{"reason": reason, "description": description})
	return c.do(ctx, http.MethodPost, lockPath(queue, m)+"/deadletter", bytes.NewReader(body), http.Header{"Content-Type": {"application/json"}}, nil)
}

// Functions lists the functions the emulator loaded.
func (c *Client) Functions(ctx context.Context) ([]FunctionInfo, error) {
	var out []FunctionInfo
	err := c.do(ctx, http.MethodGet, "/_dev/functions", nil, nil, &out)
	return out, err
}
