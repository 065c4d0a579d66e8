package graphsim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures a Server. The zero value is the built-in sample tenant
// with DefaultKnobs.
type Config struct {
	// Seed is the initial tenant; nil means SampleSeed(). A seed without a
	// domain gets Domain (or DefaultDomain).
	Seed *Seed
	// Domain overrides the seed's tenant domain when set.
	Domain string
	// Knobs are the initial realism knobs; nil means DefaultKnobs().
	Knobs *Knobs
	// RandSeed seeds the random source (ids, faults, jitter, shuffling) so
	// runs are repeatable; 0 picks 1.
	RandSeed uint64
	// Now is the clock (replication lag, throttle windows, timestamps);
	// nil means time.Now.
	Now func() time.Time
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// StateFile, when set, keeps the tenant across restarts: New loads it
	// when it exists (instead of the seed) and every change is saved to it
	// before it is answered (see persist.go). Empty keeps it in memory.
	StateFile string
}

// Server is the simulated tenant and its HTTP handler. It is safe for
// concurrent use.
type Server struct {
	seed   Seed
	now    func() time.Time
	logger *slog.Logger

	mu     sync.Mutex // guards t, inviteLog, counts
	t      *tenant
	counts map[string]int
	// inviteLog holds the admission times of /invitations requests within
	// the current throttle window (sliding window).
	inviteLog []time.Time

	kmu   sync.RWMutex
	knobs Knobs

	rmu sync.Mutex
	rng *rand.Rand

	stateFile string
	restored  bool       // the tenant came from stateFile
	pmu       sync.Mutex // serializes saves to stateFile
	saved     []byte     // the tenant as last written to stateFile; under pmu
}

// New builds a Server. It fails only for an invalid seed or knobs.
func New(cfg Config) (*Server, error) {
	seed := SampleSeed()
	if cfg.Seed != nil {
		seed = *cfg.Seed
	}
	if cfg.Domain != "" {
		seed.Domain = cfg.Domain
	}
	if seed.Domain == "" {
		seed.Domain = DefaultDomain
	}
	if cfg.Domain != "" && cfg.Seed == nil {
		// the sample's addresses follow the chosen domain
		for i := range seed.Groups {
			if strings.HasSuffix(seed.Groups[i].Mail, "@"+DefaultDomain) {
				seed.Groups[i].Mail = strings.TrimSuffix(seed.Groups[i].Mail, DefaultDomain) + cfg.Domain
			}
		}
	}
	if err := seed.validate(); err != nil {
		return nil, err
	}
	k := DefaultKnobs()
	if cfg.Knobs != nil {
		k = *cfg.Knobs
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	rs := cfg.RandSeed
	if rs == 0 {
		rs = 1
	}
	s := &Server{
		seed:   seed,
		now:    cfg.Now,
		logger: cfg.Logger,
		knobs:  k,
		rng:    rand.New(rand.NewPCG(rs, rs^0x9e3779b97f4a7c15)),
		counts: map[string]int{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.t = newTenant(seed)
	if cfg.StateFile != "" {
		s.stateFile = cfg.StateFile
		t, ok, err := loadTenantFile(cfg.StateFile)
		if err != nil {
			return nil, err
		}
		if ok {
			s.t, s.restored = t, true
		} else if err := s.persist(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Restored reports whether the tenant came from Config.StateFile rather
// than the seed.
func (s *Server) Restored() bool { return s.restored }

// Domain is the tenant's domain, e.g. fabrikam.onmicrosoft.com.
func (s *Server) Domain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.domain
}

// TenantID is the tenant's id.
func (s *Server) TenantID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.tenantID
}

// Knobs returns the current knobs.
func (s *Server) Knobs() Knobs {
	s.kmu.RLock()
	defer s.kmu.RUnlock()
	return s.knobs
}

// SetKnobs replaces the knobs; invalid knobs are refused and change nothing.
func (s *Server) SetKnobs(k Knobs) error {
	if err := k.Validate(); err != nil {
		return err
	}
	s.kmu.Lock()
	s.knobs = k
	s.kmu.Unlock()
	return nil
}

// random helpers, serialized so a seed gives one sequence.
func (s *Server) float() float64 {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rng.Float64()
}

func (s *Server) newID() string {
	s.rmu.Lock()
	a, b := s.rng.Uint64(), s.rng.Uint64()
	s.rmu.Unlock()
	var u [16]byte
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully:
// requests in flight get 5 s to finish. Connections that have not sent a
// request are closed at once: a client whose request was cancelled while
// dialling leaves such a connection behind, and net/http would wait 5 s
// before counting it idle.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var mu sync.Mutex
	fresh := map[net.Conn]bool{} // accepted, no request read yet
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ConnState: func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if st == http.StateNew {
			fresh[c] = true
		} else {
			delete(fresh, c)
		}
	}}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- hs.Shutdown(sctx) }()
		mu.Lock()
		for c := range fresh {
			_ = c.Close()
		}
		mu.Unlock()
		if err := <-shut; err != nil {
			return fmt.Errorf("graphsim: shutdown: %w", err)
		}
		return nil
	}
}

// BaseURL is the Graph base URL for a listener: http://ADDR/v1.0.
func BaseURL(ln net.Listener) string {
	return "http://" + ln.Addr().String() + "/v1.0"
}

// request is one Graph call, top-level or a $batch item.
type request struct {
	ctx      context.Context
	method   string
	path     string   // unescaped, after /v1.0, starting with "/"
	segs     []string // unescaped path segments
	query    url.Values
	header   http.Header
	body     []byte
	host     string // for nextLink
	inBatch  bool
	clientID string
}

// response is what a route answers; body nil means no content.
type response struct {
	status int
	header http.Header
	body   any
}

func jsonResponse(status int, body any) *response {
	return &response{status: status, body: body}
}

func noContent() *response { return &response{status: http.StatusNoContent} }

func errResponse(e *graphError) *response {
	r := &response{status: e.status, body: e}
	if len(e.header) > 0 {
		r.header = http.Header{}
		for k, v := range e.header {
			r.header.Set(k, v)
		}
	}
	return r
}

const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// ServeHTTP implements http.Handler: /v1.0/... is Graph, /_sim/... the
// admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := r.URL.EscapedPath()
	switch {
	case ep == "/_sim" || strings.HasPrefix(ep, "/_sim/"):
		s.serveAdmin(w, r)
		return
	case ep == "/v1.0" || strings.HasPrefix(ep, "/v1.0/"):
	default:
		s.writeResponse(w, r, errResponse(errorf(http.StatusNotFound, "NotFound",
			"Unknown API version or path '%s'; Graph v1.0 is served under /v1.0.", r.URL.Path)))
		return
	}
	k := s.Knobs()
	if d := k.Latency; d > 0 || k.Jitter > 0 {
		if k.Jitter > 0 {
			d += time.Duration(s.float() * float64(k.Jitter))
		}
		t := time.NewTimer(d)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if k.DropRate > 0 && s.float() < k.DropRate {
		s.count("DROP")
		dropConnection(w)
		return
	}
	if k.RequireAuth && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		s.writeResponse(w, r, errResponse(errorf(http.StatusUnauthorized, CodeInvalidAuthToken, "Access token is empty.")))
		return
	}
	body, gerr := readBody(r)
	if gerr != nil {
		s.writeResponse(w, r, errResponse(gerr))
		return
	}
	req := &request{
		ctx:      r.Context(),
		method:   r.Method,
		query:    r.URL.Query(),
		header:   r.Header,
		body:     body,
		host:     r.Host,
		clientID: r.Header.Get("client-request-id"),
	}
	req.setPath(strings.TrimPrefix(ep, "/v1.0"))
	var resp *response
	if req.method == http.MethodPost && len(req.segs) == 1 && req.segs[0] == "$batch" {
		s.count("POST /$batch")
		resp = s.batch(req)
	} else {
		resp = s.dispatch(req)
	}
	if req.method != http.MethodGet {
		if err := s.persist(); err != nil {
			resp = errResponse(errorf(http.StatusInternalServerError, codeInternalServerError, "%v", err))
		}
	}
	if k.DropAfterRate > 0 && s.float() < k.DropAfterRate {
		s.count("DROPAFTER")
		dropConnection(w)
		return
	}
	s.logger.Debug("graphsim request", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", resp.status))
	s.writeResponse(w, r, resp)
}

func (req *request) setPath(escaped string) {
	req.segs = nil
	var parts []string
	for _, p := range strings.Split(strings.Trim(escaped, "/"), "/") {
		if p == "" {
			continue
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		parts = append(parts, p)
	}
	req.segs = parts
	req.path = "/" + strings.Join(parts, "/")
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// readBody reads a request body, gunzipping it when labelled gzip. A body
// labelled gzip that is not gzip is refused with 400 like Graph does.
func readBody(r *http.Request) ([]byte, *graphError) {
	if r.Body == nil {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, CodeBadRequest, "Could not read the request body: %v", err)
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodeBadRequest,
				"The request body is labelled Content-Encoding: gzip but is not gzip data: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, 16<<20))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodeBadRequest,
				"The request body is labelled Content-Encoding: gzip but could not be decompressed: %v", err)
		}
		return out, nil
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			"Content-Encoding '%s' is not supported; send gzip or an uncompressed body.", enc)
	}
}

// headerValues stamps Graph's per-response headers.
func (s *Server) stamp(h http.Header, clientID string) (requestID, date string) {
	requestID = s.newID()
	if clientID == "" {
		clientID = requestID
	}
	h.Set("request-id", requestID)
	h.Set("client-request-id", clientID)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Local","Slice":"graphsim","Ring":"0","ScaleUnit":"000","RoleInstance":"graphsim"}}`)
	return requestID, s.now().UTC().Format("2006-01-02T15:04:05")
}

func (s *Server) writeResponse(w http.ResponseWriter, r *http.Request, resp *response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	rid, date := s.stamp(h, r.Header.Get("client-request-id"))
	h.Set("Cache-Control", "no-cache")
	body := resp.body
	if ge, ok := body.(*graphError); ok {
		body = errorBody(ge, rid, h.Get("client-request-id"), date)
	}
	if body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		b, _ = json.Marshal(errorBody(errorf(500, codeInternalServerError, "graphsim could not encode its answer: %v", err), rid, rid, date))
		resp.status = http.StatusInternalServerError
	}
	h.Set("Content-Type", jsonContentType)
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// decodeObject parses a JSON object body.
func decodeObject(body []byte) (map[string]any, *graphError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(http.StatusBadRequest, CodeBadRequest, "Empty Payload. JSON content expected.")
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errorf(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format: %v", err)
	}
	if m == nil {
		return nil, errorf(http.StatusBadRequest, CodeBadRequest, "Empty Payload. JSON content expected.")
	}
	return m, nil
}

// count records one request of a route template, e.g. "POST /invitations".
func (s *Server) count(route string) {
	s.mu.Lock()
	s.counts[route]++
	s.mu.Unlock()
}

// RequestCount returns how many requests hit a route template such as
// "POST /invitations" or "POST /groups/{id}/members/$ref" ($batch items
// count under their own route, the batch itself under "POST /$batch").
func (s *Server) RequestCount(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// RequestCounts returns a copy of all per-route counts.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// throttleInvite admits or refuses one /invitations request under the
// sliding-window invitation limit. Must be called with s.mu held.
func (s *Server) throttleInviteLocked(k Knobs) *graphError {
	if k.InviteLimit <= 0 {
		return nil
	}
	now := s.now()
	cut := now.Add(-k.InviteWindow)
	i := 0
	for i < len(s.inviteLog) && !s.inviteLog[i].After(cut) {
		i++
	}
	s.inviteLog = s.inviteLog[i:]
	if len(s.inviteLog) >= k.InviteLimit {
		wait := s.inviteLog[0].Add(k.InviteWindow).Sub(now)
		secs := int((wait + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		e := errorf(http.StatusTooManyRequests, CodeTooManyRequests,
			"Too many requests: the invitation manager allows %d requests per %s per tenant. Retry after %d seconds.",
			k.InviteLimit, k.InviteWindow, secs)
		e.header = map[string]string{"Retry-After": fmt.Sprint(secs), "x-ms-throttle-scope": "Tenant", "x-ms-throttle-information": "ResourceUnitLimitExceeded"}
		return e
	}
	s.inviteLog = append(s.inviteLog, now)
	return nil
}
