package devhost

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// objWriter writes a compact JSON object with keys in insertion order, the
// order the host's dictionaries keep.
type objWriter struct {
	b []byte
	n int
}

func newObj(b []byte) *objWriter { return &objWriter{b: append(b, '{')} }

func (w *objWriter) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = appendNetString(w.b, k)
	w.b = append(w.b, ':')
}

// raw writes pre-encoded JSON.
func (w *objWriter) raw(k string, v []byte) { w.key(k); w.b = append(w.b, v...) }

// str writes v as a JSON string.
func (w *objWriter) str(k, v string) { w.key(k); w.b = appendNetString(w.b, v) }

// encoded writes a value the host passes through JsonConvert.SerializeObject:
// a JSON string holding the JSON text of v.
func (w *objWriter) encoded(k, jsonText string) { w.str(k, jsonText) }

// optString writes a string property doubly encoded, or nothing when empty
// (the host drops null metadata).
func (w *objWriter) optString(k, v string) {
	if v != "" {
		w.encoded(k, netStringLiteral(v))
	}
}

func (w *objWriter) close() []byte { return append(w.b, '}') }

// appendNetValue writes an application property value as JObject.FromObject
// renders it.
func appendNetValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendNetString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float32:
		return append(b, netDouble(float64(x))...)
	case float64:
		return append(b, netDouble(x)...)
	case time.Time:
		return appendNetString(b, netRoundtripUTC(x))
	case []byte:
		return appendNetString(b, base64.StdEncoding.EncodeToString(x))
	default:
		return append(b, "null"...) // unreachable: Send validates types
	}
}

func appendProps(b []byte, props map[string]any) []byte {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys) // AMQP keeps the sender's order; a Go map has none, so sort for stable bytes
	w := newObj(b)
	for _, k := range keys {
		w.key(k)
		w.b = appendNetValue(w.b, props[k])
	}
	return w.close()
}

// sysData is the host's "sys" binding data.
type sysData struct {
	MethodName string
	UtcNow     time.Time
	RandGuid   string
}

func appendSys(b []byte, s sysData) []byte {
	w := newObj(b)
	w.str("MethodName", s.MethodName)
	w.str("UtcNow", netRoundtripUTC(s.UtcNow))
	w.str("RandGuid", s.RandGuid)
	return w.close()
}

// clientInfo is what the host shows of its ServiceBusClient.
type clientInfo struct {
	Namespace  string
	Identifier string
}

// serviceBusEnvelope builds the body the host POSTs for a Service Bus
// trigger (reference §3–§6): Data[binding] is the message body (base64 for
// dataType binary, otherwise a JSON string holding the body's JSON string
// literal), Metadata the trigger's binding data in the extension's order,
// each value encoded the way the host encodes it, then sys, then (string
// mode only) the body's top-level properties (§5.1).
func serviceBusEnvelope(binding string, binary bool, m ReceivedMessage, client clientInfo, sys sysData) []byte {
	b := make([]byte, 0, 1024+len(m.Body)*2)
	env := newObj(b)

	env.key("Data")
	data := newObj(env.b)
	text := ""
	if binary {
		data.str(binding, base64.StdEncoding.EncodeToString(m.Body))
	} else {
		text = netUTF8(m.Body)
		data.encoded(binding, netStringLiteral(text))
	}
	env.b = data.close()

	md := &bindingData{}
	for _, k := range []string{"MessageReceiver", "MessageSession", "MessageActions", "SessionActions", "ReceiveActions"} {
		md.set(k, []byte("{}"))
	}
	cl := newObj(nil)
	cl.str("FullyQualifiedNamespace", client.Namespace)
	cl.raw("IsClosed", []byte("false"))
	cl.raw("TransportType", []byte("0"))
	cl.str("Identifier", client.Identifier)
	md.set("Client", cl.close())
	md.set("DeliveryCount", textValue(strconv.Itoa(m.DeliveryCount)))
	md.set("DeadLetterSource", optStringValue(m.DeadLetterSource))
	md.set("LockToken", stringValue(m.LockToken))
	md.set("ExpiresAtUtc", appendNetString(nil, netDateTime(m.ExpiresAt)))
	md.set("ExpiresAt", appendNetString(nil, netDateTimeOffset(m.ExpiresAt)))
	md.set("EnqueuedTimeUtc", appendNetString(nil, netDateTime(m.EnqueuedTime)))
	md.set("EnqueuedTime", appendNetString(nil, netDateTimeOffset(m.EnqueuedTime)))
	md.set("MessageId", optStringValue(m.MessageID))
	md.set("ContentType", optStringValue(m.ContentType))
	md.set("ReplyTo", optStringValue(m.ReplyTo))
	md.set("SequenceNumber", textValue(strconv.FormatInt(m.SequenceNumber, 10)))
	md.set("To", optStringValue(m.To))
	md.set("Subject", optStringValue(m.Subject))
	md.set("Label", optStringValue(m.Subject))
	md.set("CorrelationId", optStringValue(m.CorrelationID))
	md.set("ApplicationProperties", appendProps(nil, m.ApplicationProperties))
	md.set("UserProperties", appendProps(nil, m.ApplicationProperties))
	for _, k := range []string{"SessionId", "ReplyToSessionId", "PartitionKey", "TransactionPartitionKey"} {
		md.set(k, nil) // a non-session, unpartitioned queue: null, but a body property can fill them
	}
	md.set("sys", appendSys(nil, sys))
	if !binary {
		applyBodyBindingData(md, text)
	}
	env.key("Metadata")
	env.b = md.write(env.b)
	return env.close()
}

// anonymousIdentity is how Newtonsoft serializes the unauthenticated
// ClaimsIdentity ASP.NET Core attaches to a request without credentials.
const anonymousIdentity = `{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}`

// queryPair is one query-string parameter, in order of first appearance,
// values joined with "," (StringValues.ToString()), or one route value
// (absent: an optional route parameter the URL did not give).
type queryPair struct {
	key, value string
	absent     bool
}

func parseQuery(raw string) []queryPair {
	var out []queryPair
	idx := map[string]int{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if i, ok := idx[strings.ToLower(k)]; ok {
			out[i].value += "," + v
			continue
		}
		idx[strings.ToLower(k)] = len(out)
		out = append(out, queryPair{key: k, value: v})
	}
	return out
}

func queryUnescape(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(h))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return netUTF8([]byte(b.String()))
}

// requestHeaders returns the request's headers as ASP.NET sees them (Host
// included), names sorted for stable bytes.
func requestHeaders(r *http.Request) ([]string, map[string][]string) {
	h := map[string][]string{}
	for k, v := range r.Header {
		h[k] = v
	}
	if r.Host != "" {
		h["Host"] = []string{r.Host}
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, h
}

// isOctetOrMultipart mirrors the host's check for a binary request body.
func isOctetOrMultipart(contentType string) bool {
	mt := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	return mt == "application/octet-stream" || strings.Contains(mt, "multipart/")
}

// httpEnvelope builds the body the host POSTs for an HTTP trigger when
// enableForwardingHttpRequest is false: Data[binding] is the request as
// GetRequestAsJObject renders it (Url, Method, Query, Headers, Params,
// Identities, Body); Metadata holds the trigger's binding data (query and
// route values, Query, Headers) and sys.
func httpEnvelope(binding string, r *http.Request, body []byte, params []queryPair, sys sysData) []byte {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	url := scheme + "://" + r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		url += "?" + r.URL.RawQuery
	}
	query := parseQuery(r.URL.RawQuery)
	hkeys, headers := requestHeaders(r)

	env := newObj(make([]byte, 0, 1024+len(body)*2))
	env.key("Data")
	data := newObj(env.b)
	data.key(binding)
	req := newObj(data.b)
	req.str("Url", url)
	req.str("Method", r.Method)
	req.key("Query")
	q := newObj(req.b)
	for _, p := range query {
		q.str(p.key, p.value)
	}
	req.b = q.close()
	req.key("Headers")
	h := newObj(req.b)
	for _, k := range hkeys {
		h.key(k)
		h.b = append(h.b, '[')
		for i, v := range headers[k] {
			if i > 0 {
				h.b = append(h.b, ',')
			}
			h.b = appendNetString(h.b, netUTF8([]byte(v)))
		}
		h.b = append(h.b, ']')
	}
	req.b = h.close()
	req.key("Params")
	p := newObj(req.b)
	for _, kv := range params {
		if kv.absent {
			p.raw(kv.key, []byte("null"))
		} else {
			p.str(kv.key, kv.value)
		}
	}
	req.b = p.close()
	req.raw("Identities", []byte("["+anonymousIdentity+"]"))
	if len(body) > 0 {
		if isOctetOrMultipart(r.Header.Get("Content-Type")) {
			req.str("Body", base64.StdEncoding.EncodeToString(body))
		} else {
			req.str("Body", netUTF8(body))
		}
	}
	data.b = req.close()
	env.b = data.close()

	// Binding data as HttpTriggerBinding builds it: a JSON body's
	// properties, then the query (not "code"), then the route values
	// (which win; an absent optional one is null), then Query and Headers
	// unless already set, then sys.
	md := &bindingData{}
	if len(body) > 0 {
		applyBodyBindingData(md, netUTF8(body))
	}
	for _, kv := range query {
		if !strings.EqualFold(kv.key, "code") { // the function key is not binding data
			md.set(kv.key, stringValue(kv.value))
		}
	}
	for _, kv := range params {
		if kv.absent {
			md.set(kv.key, nil)
			continue
		}
		md.set(kv.key, stringValue(kv.value))
	}
	if !md.has("Query") {
		mq := newObj(nil)
		for _, kv := range query {
			mq.str(kv.key, kv.value)
		}
		md.set("Query", mq.close())
	}
	if !md.has("Headers") {
		mh := newObj(nil)
		for _, k := range hkeys {
			mh.str(k, netUTF8([]byte(strings.Join(headers[k], ","))))
		}
		md.set("Headers", mh.close())
	}
	md.set("sys", appendSys(nil, sys))
	env.key("Metadata")
	env.b = md.write(env.b)
	return env.close()
}
