package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of host.json as the Functions host applies them.
const (
	DefaultMaxConcurrentCalls         = 16
	DefaultMaxAutoLockRenewalDuration = 5 * time.Minute
	DefaultFunctionTimeout            = 30 * time.Minute
	DefaultRoutePrefix                = "api"
)

// HostConfig is the part of host.json the emulator honours.
type HostConfig struct {
	// FunctionTimeout bounds each invocation; zero means unbounded ("-1").
	FunctionTimeout time.Duration
	// MaxConcurrentCalls is extensions.serviceBus.maxConcurrentCalls: how
	// many messages of one trigger are processed at once.
	MaxConcurrentCalls int
	// MaxAutoLockRenewalDuration is how long the host keeps renewing a
	// message's lock while the handler works on it.
	MaxAutoLockRenewalDuration time.Duration
	// AutoCompleteMessages: when false, the host never settles a message,
	// so it is redelivered after each lock expiry.
	AutoCompleteMessages bool
	// RoutePrefix is extensions.http.routePrefix ("api").
	RoutePrefix string
	// EnableForwardingHttpRequest is customHandler.enableForwardingHttpRequest.
	EnableForwardingHttpRequest bool
}

// Binding is one entry of a function.json "bindings" array (the fields the
// emulator reads; JSON keys match case-insensitively, as in the host).
type Binding struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Direction         string   `json:"direction"`
	QueueName         string   `json:"queueName"`
	TopicName         string   `json:"topicName"`
	SubscriptionName  string   `json:"subscriptionName"`
	Connection        string   `json:"connection"`
	DataType          string   `json:"dataType"`
	Cardinality       string   `json:"cardinality"`
	IsSessionsEnabled bool     `json:"isSessionsEnabled"`
	Route             string   `json:"route"`
	Methods           []string `json:"methods"`
	AuthLevel         string   `json:"authLevel"`
}

// Function is one function of the app: its folder name and bindings, with
// %SETTING% references already resolved.
type Function struct {
	Name     string
	Dir      string
	Bindings []Binding
	Disabled bool
}

// Trigger returns the function's trigger binding (direction "in", type
// ending in "Trigger").
func (f Function) Trigger() (Binding, bool) {
	for _, b := range f.Bindings {
		if strings.HasSuffix(strings.ToLower(b.Type), "trigger") {
			return b, true
		}
	}
	return Binding{}, false
}

// isHTTPOnly reports whether the function has an HTTP trigger and no
// bindings but HTTP outputs (the host's IsHttpInAndOutFunction).
func (f Function) isHTTPOnly() bool {
	for _, b := range f.Bindings {
		t := strings.ToLower(b.Type)
		if t != "httptrigger" && t != "http" {
			return false
		}
	}
	return true
}

// App is a function app as the emulator loads it.
type App struct {
	Root      string
	Host      HostConfig
	Functions []Function
}

// LoadApp reads root/host.json (optional) and the function.json of every
// sub-folder of root (or of root/functions when root has that folder, the
// layout of this repository), resolving %NAME% in binding values from
// settings. Errors name the file and the field.
func LoadApp(root string, settings map[string]string) (*App, error) {
	fnDir := root
	if st, err := os.Stat(filepath.Join(root, "functions")); err == nil && st.IsDir() {
		fnDir = filepath.Join(root, "functions")
	}
	hostPath := filepath.Join(root, "host.json")
	if _, err := os.Stat(hostPath); errors.Is(err, fs.ErrNotExist) {
		hostPath = filepath.Join(fnDir, "host.json")
	}
	hc, err := loadHostConfig(hostPath)
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(fnDir, "*", "function.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	app := &App{Root: root, Host: hc}
	for _, p := range paths {
		fn, err := loadFunction(p, settings)
		if err != nil {
			return nil, err
		}
		app.Functions = append(app.Functions, fn)
	}
	if len(app.Functions) == 0 {
		return nil, fmt.Errorf("no functions: no */function.json under %s", fnDir)
	}
	return app, nil
}

// lookupCI finds key in m ignoring case, as .NET configuration does.
func lookupCI(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// objectAt walks nested objects by (case-insensitive) keys; missing → nil map.
func objectAt(m map[string]json.RawMessage, path ...string) (map[string]json.RawMessage, error) {
	for i, k := range path {
		raw, ok := lookupCI(m, k)
		if !ok || string(raw) == "null" {
			return nil, nil
		}
		var next map[string]json.RawMessage
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, fmt.Errorf("%s: must be an object", strings.Join(path[:i+1], "."))
		}
		m = next
	}
	return m, nil
}

func loadHostConfig(path string) (HostConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return defaultHostConfig(), nil
	}
	if err != nil {
		return defaultHostConfig(), fmt.Errorf("host.json: %w", err)
	}
	return ParseHostConfig(path, data)
}

func defaultHostConfig() HostConfig {
	return HostConfig{
		FunctionTimeout:            DefaultFunctionTimeout,
		MaxConcurrentCalls:         DefaultMaxConcurrentCalls,
		MaxAutoLockRenewalDuration: DefaultMaxAutoLockRenewalDuration,
		AutoCompleteMessages:       true,
		RoutePrefix:                DefaultRoutePrefix,
	}
}

// ParseHostConfig reads host.json text (path names it in errors) the way
// the emulator applies it: the settings of HostConfig, with the host's
// defaults for those not set. deploytest uses it to check host.json.
func ParseHostConfig(path string, data []byte) (HostConfig, error) {
	hc := defaultHostConfig()
	bad := func(field, rule string) error { return fmt.Errorf("%s: %s: %s", path, field, rule) }
	var root map[string]json.RawMessage
	if err := json.Unmarshal(data, &root); err != nil {
		return hc, fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	if raw, ok := lookupCI(root, "functionTimeout"); ok && string(raw) != "null" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return hc, bad("functionTimeout", `must be a string like "00:10:00" or "-1"`)
		}
		d, err := parseTimeSpan(s)
		if err != nil {
			return hc, bad("functionTimeout", err.Error())
		}
		hc.FunctionTimeout = d
	}
	sb, err := objectAt(root, "extensions", "serviceBus")
	if err != nil {
		return hc, bad("extensions.serviceBus", err.Error())
	}
	if raw, ok := lookupCI(sb, "maxConcurrentCalls"); ok {
		n, err := strconv.Atoi(strings.Trim(string(raw), `"`))
		if err != nil || n < 1 {
			return hc, bad("extensions.serviceBus.maxConcurrentCalls", "must be an integer of at least 1")
		}
		hc.MaxConcurrentCalls = n
	}
	if raw, ok := lookupCI(sb, "maxAutoLockRenewalDuration"); ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return hc, bad("extensions.serviceBus.maxAutoLockRenewalDuration", `must be a string like "00:05:00"`)
		}
		d, err := parseTimeSpan(s)
		if err != nil {
			return hc, bad("extensions.serviceBus.maxAutoLockRenewalDuration", err.Error())
		}
		hc.MaxAutoLockRenewalDuration = d
	}
	if raw, ok := lookupCI(sb, "autoCompleteMessages"); ok {
		if err := json.Unmarshal(raw, &hc.AutoCompleteMessages); err != nil {
			return hc, bad("extensions.serviceBus.autoCompleteMessages", "must be true or false")
		}
	}
	httpExt, err := objectAt(root, "extensions", "http")
	if err != nil {
		return hc, bad("extensions.http", err.Error())
	}
	if raw, ok := lookupCI(httpExt, "routePrefix"); ok {
		if err := json.Unmarshal(raw, &hc.RoutePrefix); err != nil {
			return hc, bad("extensions.http.routePrefix", "must be a string")
		}
		hc.RoutePrefix = strings.Trim(hc.RoutePrefix, "/")
	}
	ch, err := objectAt(root, "customHandler")
	if err != nil {
		return hc, bad("customHandler", err.Error())
	}
	if raw, ok := lookupCI(ch, "enableForwardingHttpRequest"); ok {
		if err := json.Unmarshal(raw, &hc.EnableForwardingHttpRequest); err != nil {
			return hc, bad("customHandler.enableForwardingHttpRequest", "must be true or false")
		}
	}
	return hc, nil
}

// parseTimeSpan parses .NET TimeSpan text: "hh:mm:ss", "hh:mm:ss.fffffff",
// "d.hh:mm:ss"; "-1" means unbounded (returned as zero).
func parseTimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "-1" || s == "-1.00:00:00" || s == "-00:00:01" {
		return 0, nil
	}
	var days int
	rest := s
	if i := strings.Index(s, "."); i >= 0 && i < strings.Index(s, ":") {
		d, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("%q is not a time span (d.hh:mm:ss)", s)
		}
		days, rest = d, s[i+1:]
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("%q is not a time span (hh:mm:ss)", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec >= 60 {
		return 0, fmt.Errorf("%q is not a time span (hh:mm:ss)", s)
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive (or -1 for unbounded)", s)
	}
	return d, nil
}

var settingRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`%([^%]+)%`) })

// resolveSettings replaces every %NAME% in v with the app setting NAME.
func resolveSettings(v string, settings map[string]string) (string, error) {
	var missing []string
	out := settingRef().ReplaceAllStringFunc(v, func(ref string) string {
		name := ref[1 : len(ref)-1]
		if val, ok := settings[name]; ok {
			return val
		}
		missing = append(missing, name)
		return ref
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("app setting %s is not set (referenced as %q)", strings.Join(missing, ", "), v)
	}
	return out, nil
}

func loadFunction(path string, settings map[string]string) (Function, error) {
	name := filepath.Base(filepath.Dir(path))
	fn := Function{Name: name, Dir: filepath.Dir(path)}
	data, err := os.ReadFile(path)
	if err != nil {
		return fn, fmt.Errorf("function %s: %w", name, err)
	}
	var doc struct {
		Bindings []Binding `json:"bindings"`
		Disabled any       `json:"disabled"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fn, fmt.Errorf("%s: not a function.json: %w", path, err)
	}
	switch d := doc.Disabled.(type) {
	case bool:
		fn.Disabled = d
	case string: // "disabled": "%SETTING%" or "true"
		v, err := resolveSettings(d, settings)
		if err != nil {
			return fn, fmt.Errorf("%s: disabled: %w", path, err)
		}
		fn.Disabled = strings.EqualFold(v, "true") || v == "1"
	}
	triggers := 0
	for i, b := range doc.Bindings {
		field := func(f string) string { return fmt.Sprintf("%s: bindings[%d] (%s).%s", path, i, b.Name, f) }
		if b.Name == "" {
			return fn, fmt.Errorf("%s: bindings[%d].name: required", path, i)
		}
		if b.Type == "" {
			return fn, fmt.Errorf("%s: required", field("type"))
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"queueName", &b.QueueName}, {"route", &b.Route}, {"connection", &b.Connection}} {
			v, err := resolveSettings(*f.v, settings)
			if err != nil {
				return fn, fmt.Errorf("%s: %w", field(f.name), err)
			}
			*f.v = v
		}
		switch strings.ToLower(b.Type) {
		case "servicebustrigger":
			triggers++
			switch {
			case b.TopicName != "":
				return fn, fmt.Errorf("%s: topics are not supported by the dev runtime (use queueName)", field("topicName"))
			case b.QueueName == "":
				return fn, fmt.Errorf("%s: required for a serviceBusTrigger", field("queueName"))
			case b.IsSessionsEnabled:
				return fn, fmt.Errorf("%s: sessions are not supported by the dev runtime", field("isSessionsEnabled"))
			case b.Cardinality != "" && !strings.EqualFold(b.Cardinality, "one"):
				return fn, fmt.Errorf("%s: %q is not supported by the dev runtime (only \"one\")", field("cardinality"), b.Cardinality)
			case b.DataType != "" && !strings.EqualFold(b.DataType, "binary") && !strings.EqualFold(b.DataType, "string"):
				return fn, fmt.Errorf("%s: %q is not one of \"binary\", \"string\"", field("dataType"), b.DataType)
			}
			if err := ValidateQueueName(b.QueueName); err != nil {
				return fn, fmt.Errorf("%s: %w", field("queueName"), err)
			}
		case "httptrigger":
			triggers++
			switch strings.ToLower(b.AuthLevel) {
			case "":
				b.AuthLevel = "function" // the HttpTrigger default
			case "anonymous", "function", "admin", "system":
			default:
				return fn, fmt.Errorf("%s: %q is not one of anonymous, function, admin, system", field("authLevel"), b.AuthLevel)
			}
			for _, m := range b.Methods {
				if m == "" || strings.ContainsAny(m, " /") {
					return fn, fmt.Errorf("%s: %q is not an HTTP method", field("methods"), m)
				}
			}
		default:
			if strings.HasSuffix(strings.ToLower(b.Type), "trigger") {
				return fn, fmt.Errorf("%s: trigger type %q is not supported by the dev runtime", field("type"), b.Type)
			}
		}
		doc.Bindings[i] = b
	}
	if triggers != 1 {
		return fn, fmt.Errorf("%s: bindings: want exactly one trigger, found %d", path, triggers)
	}
	fn.Bindings = doc.Bindings
	return fn, nil
}
