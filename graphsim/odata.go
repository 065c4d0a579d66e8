package graphsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const metadataBase = "https://graph.microsoft.com/v1.0/$metadata#"

// listQuery is the parsed OData query of a GET.
type listQuery struct {
	filter *filterSyntax
	sel    []string // canonical names; nil means the default set
	top    int
	skip   int
	count  bool
}

// entityType describes the properties of one resource for $select and
// $filter: canonical names, and the Graph type name used in messages.
type entityType struct {
	name  string   // e.g. microsoft.graph.user
	props []string // canonical property names
}

func (et entityType) canonical(p string) (string, bool) {
	for _, c := range et.props {
		if strings.EqualFold(c, p) {
			return c, true
		}
	}
	return "", false
}

func (et entityType) resource() string {
	n := strings.TrimPrefix(et.name, "microsoft.graph.")
	return strings.ToUpper(n[:1]) + n[1:]
}

// parseQuery reads $select, $filter, $top, $skiptoken and $count.
func parseQuery(req *request, et entityType) (*listQuery, *graphError) {
	q := &listQuery{}
	if v := req.query.Get("$select"); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			c, ok := et.canonical(p)
			if !ok {
				return nil, badRequest("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", p, et.name)
			}
			q.sel = append(q.sel, c)
		}
	}
	if v := req.query.Get("$filter"); v != "" {
		fs, err := parseFilter(v)
		if err != nil {
			return nil, badRequest("Invalid filter clause: %v", err)
		}
		for _, p := range fs.props {
			if _, ok := et.canonical(p); !ok {
				return nil, badRequest("Could not find a property named '%s' on type '%s'.", p, et.name)
			}
		}
		if fs.advanced && !advancedQuery(req) {
			prop := ""
			if len(fs.props) > 0 {
				prop = fs.props[0]
			}
			return nil, errorf(http.StatusBadRequest, CodeUnsupportedQuery,
				"Unsupported or invalid query filter clause specified for property '%s' of resource '%s'. ne, not and endsWith need the ConsistencyLevel: eventual header and $count=true.", prop, et.resource())
		}
		q.filter = fs
	}
	if v := req.query.Get("$count"); v != "" {
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return nil, badRequest("Invalid value '%s' for $count; use true or false.", v)
		}
		if strings.EqualFold(v, "true") {
			if !strings.EqualFold(req.header.Get("ConsistencyLevel"), "eventual") {
				return nil, badRequest("$count is not currently supported.")
			}
			q.count = true
		}
	}
	if v := req.query.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			return nil, badRequest("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", v)
		}
		q.top = n
	}
	if v := req.query.Get("$skiptoken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "sim"))
		if err != nil || n < 0 {
			return nil, badRequest("Invalid $skiptoken '%s'.", v)
		}
		q.skip = n
	}
	return q, nil
}

func advancedQuery(req *request) bool {
	return strings.EqualFold(req.header.Get("ConsistencyLevel"), "eventual") && strings.EqualFold(req.query.Get("$count"), "true")
}

// match applies the filter to one entity's properties.
func (q *listQuery) match(props map[string]any) bool {
	if q.filter == nil {
		return true
	}
	return q.filter.expr.eval(func(name string) (any, bool) {
		for k, v := range props {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	})
}

// project keeps the selected properties (or the default set), like Graph.
func project(props map[string]any, sel, defaults []string) map[string]any {
	if sel == nil {
		sel = defaults
	}
	if sel == nil {
		out := make(map[string]any, len(props))
		for k, v := range props {
			out[k] = v
		}
		return out
	}
	out := make(map[string]any, len(sel)+1)
	for _, p := range sel {
		out[p] = props[p]
	}
	return out
}

// matchingItems is the body of a list GET: the props of each entity that
// $filter matches, cut to $select, in the order of entities.
func matchingItems[E any](q *listQuery, entities []E, props func(E) map[string]any) []map[string]any {
	var items []map[string]any
	for _, e := range entities {
		if p := props(e); q.match(p) {
			items = append(items, project(p, q.sel, nil))
		}
	}
	return items
}

// entityResponse answers a GET of one entity of set: out (its projected
// properties) with the entity's @odata.context.
func entityResponse(set string, sel []string, out map[string]any) *response {
	out["@odata.context"] = contextURL(set, sel, true)
	return jsonResponse(http.StatusOK, out)
}

// contextURL is the @odata.context of a collection or entity.
func contextURL(set string, sel []string, entity bool) string {
	s := metadataBase + set
	if sel != nil {
		s += "(" + strings.Join(sel, ",") + ")"
	}
	if entity {
		s += "/$entity"
	}
	return s
}

// listResponse pages items by $top/$skiptoken and wraps them in Graph's
// collection shape.
func listResponse(req *request, set string, q *listQuery, items []map[string]any) *response {
	total := len(items)
	start := q.skip
	if start > total {
		start = total
	}
	end := total
	if q.top > 0 && start+q.top < total {
		end = start + q.top
	}
	page := items[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	body := map[string]any{"@odata.context": contextURL(set, q.sel, false), "value": page}
	if q.count {
		body["@odata.count"] = total
	}
	if end < total {
		v := url.Values{}
		for k, vs := range req.query {
			if k != "$skiptoken" {
				v[k] = vs
			}
		}
		v.Set("$skiptoken", fmt.Sprintf("sim%d", end))
		body["@odata.nextLink"] = "http://" + req.host + "/v1.0" + req.path + "?" + v.Encode()
	}
	return jsonResponse(http.StatusOK, body)
}
