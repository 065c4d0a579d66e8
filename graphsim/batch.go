package graphsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxBatchRequests is Graph's limit of requests per $batch.
const maxBatchRequests = 20

type batchItem struct {
	ID        string          `json:"id"`
	Method    string          `json:"method"`
	URL       string          `json:"url"`
	Headers   map[string]any  `json:"headers"`
	Body      json.RawMessage `json:"body"`
	DependsOn []string        `json:"dependsOn"`
}

type batchReply struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body,omitempty"`
}

func batchError(format string, args ...any) *response {
	return errResponse(errorf(http.StatusBadRequest, CodeBadRequest, format, args...))
}

// batch is POST /$batch: ≤20 items, unique ids, dependsOn (424 when a
// prerequisite failed), per-item throttling and faults, answers in any
// order when ShuffleBatch is set. The outer status is 200 whenever the
// payload parses.
func (s *Server) batch(req *request) *response {
	var payload struct {
		Requests []batchItem `json:"requests"`
	}
	if err := json.Unmarshal(req.body, &payload); err != nil {
		return batchError("Invalid batch payload format: %v", err)
	}
	items := payload.Requests
	if len(items) == 0 {
		return batchError("Invalid batch payload format: 'requests' is missing or empty.")
	}
	if len(items) > maxBatchRequests {
		return batchError("The batch contains %d requests; a batch may contain at most %d.", len(items), maxBatchRequests)
	}
	byID, bad := indexBatch(items)
	if bad != nil {
		return bad
	}
	order, ok := topoOrder(items, byID)
	if !ok {
		return batchError("The dependsOn references of the batch form a cycle.")
	}
	if s.Knobs().ShuffleBatch {
		// any order that still respects dependencies: shuffle, then re-sort topologically
		perm := make([]batchItem, len(items))
		for i, j := range s.perm(len(items)) {
			perm[i] = items[j]
		}
		pid := map[string]int{}
		for i, it := range perm {
			pid[strings.ToLower(it.ID)] = i
		}
		items, byID = perm, pid
		order, _ = topoOrder(items, byID)
	}
	status := make([]int, len(items))
	replies := make([]batchReply, 0, len(items))
	for _, i := range order {
		it := items[i]
		failedDep := ""
		for _, d := range it.DependsOn {
			if st := status[byID[strings.ToLower(d)]]; st >= 400 {
				failedDep = d
				break
			}
		}
		var resp *response
		if failedDep != "" {
			resp = errResponse(errorf(http.StatusFailedDependency, CodeFailedDependency,
				"The request depends on request '%s', which failed.", failedDep))
		} else {
			resp = s.batchItem(req, it)
		}
		status[i] = resp.status
		replies = append(replies, s.batchReply(it, resp))
	}
	if s.Knobs().ShuffleBatch {
		p := s.perm(len(replies))
		shuffled := make([]batchReply, len(replies))
		for i, j := range p {
			shuffled[i] = replies[j]
		}
		replies = shuffled
	}
	return jsonResponse(http.StatusOK, map[string]any{"responses": replies})
}

// indexBatch maps the items' ids (case-insensitive) to their positions,
// refusing an item without id, method or url, a repeated id, and a
// dependsOn naming an id that is not in the batch.
func indexBatch(items []batchItem) (map[string]int, *response) {
	byID := map[string]int{}
	for i, it := range items {
		if it.ID == "" {
			return nil, batchError("Invalid batch payload format: request %d has no 'id'.", i)
		}
		if it.Method == "" || it.URL == "" {
			return nil, batchError("Invalid batch payload format: request '%s' needs 'method' and 'url'.", it.ID)
		}
		k := strings.ToLower(it.ID)
		if _, dup := byID[k]; dup {
			return nil, batchError("Batch request ids must be unique; '%s' is used more than once.", it.ID)
		}
		byID[k] = i
	}
	for _, it := range items {
		for _, d := range it.DependsOn {
			if _, ok := byID[strings.ToLower(d)]; !ok {
				return nil, batchError("Request '%s' depends on '%s', which is not in the batch.", it.ID, d)
			}
		}
	}
	return byID, nil
}

func (s *Server) perm(n int) []int {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rng.Perm(n)
}

// topoOrder orders items so that prerequisites come first; false on a cycle.
func topoOrder(items []batchItem, byID map[string]int) ([]int, bool) {
	state := make([]int, len(items)) // 0 new, 1 visiting, 2 done
	var order []int
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case 1:
			return false
		case 2:
			return true
		}
		state[i] = 1
		for _, d := range items[i].DependsOn {
			if !visit(byID[strings.ToLower(d)]) {
				return false
			}
		}
		state[i] = 2
		order = append(order, i)
		return true
	}
	for i := range items {
		if !visit(i) {
			return nil, false
		}
	}
	return order, true
}

// batchItem turns one item into a request and dispatches it.
func (s *Server) batchItem(outer *request, it batchItem) *response {
	rel, gerr := itemURL(it.URL)
	if gerr != nil {
		return errResponse(gerr)
	}
	u, err := url.Parse(rel)
	if err != nil {
		return errResponse(errorf(http.StatusBadRequest, CodeBadRequest, "Invalid request URL '%s': %v", it.URL, err))
	}
	h := http.Header{}
	for k, v := range it.Headers {
		h.Set(k, fmt.Sprint(v))
	}
	req := &request{
		ctx: outer.ctx, method: strings.ToUpper(it.Method), query: u.Query(), header: h,
		host: outer.host, inBatch: true, clientID: outer.clientID,
	}
	req.setPath(u.EscapedPath())
	if len(req.segs) == 1 && req.segs[0] == "$batch" {
		return errResponse(errorf(http.StatusBadRequest, CodeBadRequest, "A $batch request cannot contain another $batch."))
	}
	body := strings.TrimSpace(string(it.Body))
	if body != "" && body != "null" {
		if h.Get("Content-Type") == "" {
			return errResponse(errorf(http.StatusBadRequest, CodeBadRequest,
				"Batch request '%s' has a body but no Content-Type header.", it.ID))
		}
		if !strings.HasPrefix(body, "{") {
			return errResponse(errorf(http.StatusBadRequest, CodeBadRequest,
				"Batch request '%s': graphsim accepts only JSON object bodies.", it.ID))
		}
		req.body = []byte(body)
	}
	return s.dispatch(req)
}

// itemURL accepts "/users/x", "users/x" and absolute ".../v1.0/users/x" item
// URLs (the SDK's request builders keep https://graph.microsoft.com/v1.0).
func itemURL(raw string) (string, *graphError) {
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", errorf(http.StatusBadRequest, CodeBadRequest, "Invalid request URL '%s': %v", raw, err)
		}
		p := u.EscapedPath()
		if !strings.HasPrefix(p, "/v1.0/") {
			return "", errorf(http.StatusBadRequest, CodeBadRequest, "Invalid request URL '%s': only v1.0 URLs are served.", raw)
		}
		rel := strings.TrimPrefix(p, "/v1.0")
		if u.RawQuery != "" {
			rel += "?" + u.RawQuery
		}
		return rel, nil
	}
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	return raw, nil
}

func (s *Server) batchReply(it batchItem, resp *response) batchReply {
	h := map[string]string{"Cache-Control": "no-cache", "OData-Version": "4.0"}
	for k, v := range resp.header {
		if len(v) > 0 {
			h[k] = v[0]
		}
	}
	body := resp.body
	if ge, ok := body.(*graphError); ok {
		rid := s.newID()
		body = errorBody(ge, rid, rid, s.now().UTC().Format("2006-01-02T15:04:05"))
	}
	if body != nil {
		h["Content-Type"] = jsonContentType
	}
	return batchReply{ID: it.ID, Status: resp.status, Headers: h, Body: body}
}
