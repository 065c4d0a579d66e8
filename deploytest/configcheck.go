package deploytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/infra"
)

// Paths of the files the configuration check reads, relative to the module root.
const (
	ReadmePath      = "README.md"
	SamplePath      = "local.settings.sample.json"
	MainBicepPath   = "infra/main.bicep"
	QueueJSONPath   = infra.QueueFile
	HostJSONPath    = "host.json"
	FunctionsDir    = "functions"
	AppSettingsVar  = "appSettings" // the variable in main.bicep holding the app settings
	QueueType       = "Microsoft.ServiceBus/namespaces/queues"
	TableType       = "Microsoft.Storage/storageAccounts/tableServices/tables"
	MetricAlertType = "Microsoft.Insights/metricAlerts"
	FunctionAppType = "Microsoft.Web/sites"
)

// Sources holds the text of every file the configuration check reads, so a
// test can check a mutated copy. Maps are keyed by path relative to the
// module root, with forward slashes.
type Sources struct {
	// README is README.md; nil when it does not exist (the check is skipped).
	README []byte
	// Sample is local.settings.sample.json.
	Sample []byte
	// MainBicep is infra/main.bicep, which holds the app settings.
	MainBicep []byte
	// QueueJSON is infra/queue.json, the queue properties main.bicep and
	// `onboard dev` share.
	QueueJSON []byte
	// HostJSON is host.json.
	HostJSON []byte
	// FunctionJSON maps functions/<Name>/function.json to its content.
	FunctionJSON map[string][]byte
	// GoFiles maps each non-test Go file that may read settings to its source.
	GoFiles map[string][]byte
	// AzureYAML is azure.yaml, MainParameters infra/main.parameters.json
	// (the Azure Developer CLI's files) and DeployDoc docs/deploy.md, whose
	// recipes read main.bicep's outputs.
	AzureYAML, MainParameters, DeployDoc []byte
}

// Problem is one configuration mismatch: which file, which setting (or
// other name) and which rule it breaks.
type Problem struct {
	File    string
	Setting string
	Rule    string
}

func (p Problem) Error() string {
	if p.Setting == "" {
		return p.File + ": " + p.Rule
	}
	return p.File + ": " + p.Setting + ": " + p.Rule
}

// HostSettings are app settings the Functions host or the platform reads
// (not the Go code): allowed in the sample and the templates without being
// in config.Settings.
var HostSettings = map[string]bool{
	"FUNCTIONS_WORKER_RUNTIME":                  true, // local.settings.json only; Flex uses functionAppConfig.runtime
	"AzureWebJobsStorage__accountName":          true,
	"AzureWebJobsStorage__credential":           true,
	"AzureWebJobsStorage__clientId":             true,
	"AzureWebJobsStorage__blobServiceUri":       true,
	"AzureWebJobsStorage__queueServiceUri":      true,
	"AzureWebJobsStorage__tableServiceUri":      true,
	"APPLICATIONINSIGHTS_CONNECTION_STRING":     true,
	"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": true,
	"AzureWebJobsFeatureFlags":                  true,
}

// FlexForbiddenSettings are app settings a Flex Consumption app rejects or
// ignores (runtime and deployment moved into functionAppConfig).
var FlexForbiddenSettings = []string{
	"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME_VERSION",
	"WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
	"WEBSITE_NODE_DEFAULT_VERSION", "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD",
	"WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "FUNCTIONS_WORKER_PROCESS_COUNT",
}

// skipDirs are folders (by name anywhere) that hold no Go source of the
// deployed app.
var skipDirs = map[string]bool{
	".git": true, ".tools": true, "node_modules": true, "testdata": true, "vendor": true, "dist": true,
}

// skipPackages are folders (relative to the module root) whose Go code is
// not the deployed handler's configuration: local tools (graphsim, devhost),
// test support (internal/azurite reads CI) and this package.
var skipPackages = map[string]bool{
	"graphsim": true, "devhost": true, "deploytest": true, "internal/azurite": true,
}

// LoadSources reads the files CheckConfig needs from the module root.
func LoadSources(root string) (Sources, error) {
	var src Sources
	var err error
	read := func(rel string) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		return b
	}
	if b, rerr := os.ReadFile(filepath.Join(root, ReadmePath)); rerr == nil {
		src.README = b
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return src, rerr
	}
	src.Sample = read(SamplePath)
	src.MainBicep = read(MainBicepPath)
	src.QueueJSON = read(QueueJSONPath)
	src.HostJSON = read(HostJSONPath)
	src.AzureYAML = read(AzureYAMLPath)
	src.MainParameters = read(MainParametersPath)
	src.DeployDoc = read(DeployDocPath)
	if err != nil {
		return src, err
	}
	src.FunctionJSON = map[string][]byte{}
	matches, err := filepath.Glob(filepath.Join(root, FunctionsDir, "*", "function.json"))
	if err != nil {
		return src, err
	}
	for _, m := range matches {
		rel, _ := filepath.Rel(root, m)
		if src.FunctionJSON[filepath.ToSlash(rel)], err = os.ReadFile(m); err != nil {
			return src, err
		}
	}
	src.GoFiles = map[string][]byte{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			if p != root && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".") || skipPackages[filepath.ToSlash(rel)]) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		src.GoFiles[filepath.ToSlash(rel)] = b
		return err
	})
	return src, err
}

// CheckConfig checks that the settings the code reads (settings, normally
// config.Settings) agree with the README table, local.settings.sample.json,
// the Bicep app settings, the function.json bindings and the Go source;
// that main.bicep takes the queue's properties from infra/queue.json (which
// `onboard dev` uses too); and that host.json renews locks for as long as
// an invocation may run; and that azure.yaml, infra/main.parameters.json and
// docs/deploy.md agree with main.bicep (names, outputs). It returns every
// problem found, sorted; none means consistent.
func CheckConfig(settings []config.Setting, src Sources) []Problem {
	c := checker{settings: map[string]config.Setting{}}
	for _, s := range settings {
		c.settings[s.Name] = s
	}
	c.list = settings
	c.readme(src.README)
	c.sample(src.Sample)
	c.bicep(src.MainBicep, src.QueueJSON)
	if f, err := ParseBicep(string(src.MainBicep)); err == nil { // else reported by bicep
		c.azd(f, src.AzureYAML, src.MainParameters, src.DeployDoc)
	}
	c.functions(src.FunctionJSON)
	c.goSource(src.GoFiles)
	c.hostJSON(src.HostJSON)
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Error() < c.problems[j].Error() })
	return c.problems
}

type checker struct {
	list     []config.Setting
	settings map[string]config.Setting
	problems []Problem
	// from the Bicep pass, for the function.json pass
	bicepSettings map[string]string // app setting → expression
	queueName     string            // resolved name of the queue resource
}

func (c *checker) add(file, setting, rule string, args ...any) {
	c.problems = append(c.problems, Problem{File: file, Setting: setting, Rule: fmt.Sprintf(rule, args...)})
}

func (c *checker) known(name string) bool {
	_, ok := c.settings[name]
	return ok || HostSettings[name]
}

// readme: every setting has a row under "## Configuration" with its default
// and doc, and every row names a setting.
func (c *checker) readme(readme []byte) {
	if readme == nil {
		return // not written yet; the test reports the skip
	}
	rows, found := ConfigTable(string(readme))
	if !found {
		c.add(ReadmePath, "", "no %q section with the settings table (go run ./deploytest/gen prints it)", ConfigHeading)
		return
	}
	if len(rows) == 0 {
		c.add(ReadmePath, "", "the %q section has no settings table: paste the output of `go run ./deploytest/gen`", ConfigHeading)
		return
	}
	seen := map[string]TableRow{}
	for _, r := range rows {
		s, ok := c.settings[r.Name]
		switch {
		case !ok:
			c.add(ReadmePath, r.Name, "line %d documents a setting the code does not read (not in config.Settings)", r.Line)
			continue
		case seen[r.Name] != (TableRow{}):
			c.add(ReadmePath, r.Name, "documented twice (lines %d and %d)", seen[r.Name].Line, r.Line)
		case r.Default != s.Default:
			c.add(ReadmePath, r.Name, "line %d gives default %q, the code's default is %q", r.Line, r.Default, s.Default)
		case r.Doc != s.Doc:
			c.add(ReadmePath, r.Name, "line %d description differs from config.Settings Doc (regenerate with go run ./deploytest/gen)", r.Line)
		}
		seen[r.Name] = r
	}
	for _, s := range c.list {
		if _, ok := seen[s.Name]; !ok {
			c.add(ReadmePath, s.Name, "not documented in the %q table", ConfigHeading)
		}
	}
}

var reSecret = regexp.MustCompile(`(?i)(AccountKey|SharedAccessKey|ClientSecret|InstrumentationKey)=`)

// sample: valid local.settings.json shape, custom runtime, every required
// setting present, only known names, no secrets, and config.Load accepts it.
func (c *checker) sample(raw []byte) {
	var doc struct {
		IsEncrypted *bool             `json:"IsEncrypted"`
		Values      map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		c.add(SamplePath, "", "not valid JSON with string Values: %v", err)
		return
	}
	if doc.IsEncrypted == nil || *doc.IsEncrypted {
		c.add(SamplePath, "IsEncrypted", "must be false")
	}
	if v := doc.Values["FUNCTIONS_WORKER_RUNTIME"]; !strings.EqualFold(v, "custom") {
		c.add(SamplePath, "FUNCTIONS_WORKER_RUNTIME", "must be \"custom\" for a Go custom handler, got %q", v)
	}
	for _, s := range c.list {
		if _, ok := doc.Values[s.Name]; !ok && !s.Optional {
			c.add(SamplePath, s.Name, "required setting missing from Values")
		}
	}
	for name, v := range doc.Values {
		if !c.known(name) {
			c.add(SamplePath, name, "not a setting the code or the host reads (typo, or add it to config.Settings)")
		}
		if reSecret.MatchString(v) {
			c.add(SamplePath, name, "holds a secret; the sample must not (use UseDevelopmentStorage=true or identity-based settings)")
		}
	}
	if _, err := config.Load(func(n string) (string, bool) { v, ok := doc.Values[n]; return v, ok }); err != nil {
		c.add(SamplePath, "", "config.Load rejects the sample: %v", err)
	}
}

// bicep: the app settings object holds every required setting and only
// known names; parameter defaults agree with the code's defaults; the queue
// and table the settings name are the ones created; the queue is configured
// for this workflow; the app runs the custom runtime; the alert watches the
// queue's dead letters.
func (c *checker) bicep(raw, queueJSON []byte) {
	f, err := ParseBicep(string(raw))
	if err != nil {
		c.add(MainBicepPath, "", "%v", err)
		return
	}
	obj, ok := f.Vars[AppSettingsVar]
	if !ok {
		c.add(MainBicepPath, AppSettingsVar, "no `var %s = { … }` holding the app settings", AppSettingsVar)
		return
	}
	props, err := ObjectProps(obj)
	if err != nil {
		c.add(MainBicepPath, AppSettingsVar, "%v", err)
		return
	}
	c.bicepSettings = map[string]string{}
	for _, p := range props {
		if _, dup := c.bicepSettings[p.Key]; dup {
			c.add(MainBicepPath, p.Key, "set twice in %s", AppSettingsVar)
		}
		c.bicepSettings[p.Key] = p.Value
		if !c.known(p.Key) {
			c.add(MainBicepPath, p.Key, "not a setting the code or the host reads (typo, or add it to config.Settings)")
		}
	}
	for _, name := range FlexForbiddenSettings {
		if _, ok := c.bicepSettings[name]; ok {
			c.add(MainBicepPath, name, "not allowed on Flex Consumption (use functionAppConfig)")
		}
	}
	for _, s := range c.list {
		expr, ok := c.bicepSettings[s.Name]
		if !ok {
			if !s.Optional {
				c.add(MainBicepPath, s.Name, "required setting missing from %s", AppSettingsVar)
			}
			continue
		}
		// A parameter feeding a setting defaults to what the code defaults to.
		if def, isParam := f.Params[strings.TrimSpace(expr)]; isParam && s.Default != "" {
			if v, lit := StringLiteral(def); lit && v != s.Default {
				c.add(MainBicepPath, s.Name, "parameter %s defaults to %q, the code's default is %q", expr, v, s.Default)
			}
		}
	}

	c.queue(f, queueJSON)
	c.outcomesTopic(f)
	c.stateTable(f)
	c.functionApp(f)
	c.alert(f)
}

// stateTable: the table resource is the one STATE_TABLE_NAME names.
func (c *checker) stateTable(f BicepFile) {
	ts := f.ResourcesOfType(TableType)
	if len(ts) != 1 {
		c.add(MainBicepPath, TableType, "want exactly one table resource, found %d", len(ts))
		return
	}
	nameExpr, _ := PropValue(ts[0].Body, "name")
	if got := c.bicepSettings["STATE_TABLE_NAME"]; got != "" && strings.TrimSpace(got) != nameExpr {
		c.add(MainBicepPath, "STATE_TABLE_NAME", "app setting is %s but the table resource is named %s", got, nameExpr)
	}
}

// functionApp: Flex Consumption with the custom runtime and a user-assigned identity.
func (c *checker) functionApp(f BicepFile) {
	apps := f.ResourcesOfType(FunctionAppType)
	if len(apps) != 1 {
		c.add(MainBicepPath, FunctionAppType, "want exactly one function app, found %d", len(apps))
		return
	}
	body := apps[0].Body
	props, _ := PropValue(body, "properties")
	fac, _ := PropValue(props, "functionAppConfig")
	rt, _ := PropValue(fac, "runtime")
	if name, _ := PropValue(rt, "name"); name != "'custom'" {
		c.add(MainBicepPath, "functionAppConfig.runtime.name", "must be 'custom' (Go custom handler), got %q", name)
	}
	id, _ := PropValue(body, "identity")
	if typ, _ := PropValue(id, "type"); typ != "'UserAssigned'" {
		c.add(MainBicepPath, "identity.type", "must be 'UserAssigned' (the runtime identity, and the Graph identity for Graph only), got %q", typ)
	}
}

var (
	reDeadletterMetric = regexp.MustCompile(`metricName:\s*'DeadletteredMessages'`)
	reEntityDimension  = regexp.MustCompile(`name:\s*'EntityName'`)
)

// alert: a metric alert on DeadletteredMessages filtered to the queue.
func (c *checker) alert(f BicepFile) {
	for _, a := range f.ResourcesOfType(MetricAlertType) {
		if reDeadletterMetric.MatchString(a.Body) && reEntityDimension.MatchString(a.Body) {
			return
		}
	}
	c.add(MainBicepPath, MetricAlertType, "no metric alert on DeadletteredMessages for the queue (EntityName dimension)")
}

var rePercent = regexp.MustCompile(`%([^%\s]+)%`)

// functions: every %SETTING% in a binding is a known setting, the Service
// Bus trigger reads the queue the templates create, and its connection
// prefix is configured in the templates and the sample.
func (c *checker) functions(files map[string][]byte) {
	if len(files) == 0 {
		c.add(FunctionsDir, "", "no functions/*/function.json found")
		return
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, file := range names {
		var doc struct {
			Bindings []map[string]any `json:"bindings"`
		}
		if err := json.Unmarshal(files[file], &doc); err != nil {
			c.add(file, "", "not valid JSON: %v", err)
			continue
		}
		for _, b := range doc.Bindings {
			for key, v := range b {
				s, ok := v.(string)
				if !ok {
					continue
				}
				for _, m := range rePercent.FindAllStringSubmatch(s, -1) {
					if !c.known(m[1]) {
						c.add(file, m[1], "binding %s uses %%%s%%, which is not in config.Settings", key, m[1])
					}
				}
			}
			if t, _ := b["type"].(string); t == "serviceBusTrigger" {
				c.trigger(file, b)
			}
		}
	}
}

func (c *checker) trigger(file string, b map[string]any) {
	qn, _ := b["queueName"].(string)
	queue := qn
	if m := rePercent.FindStringSubmatch(qn); m != nil && m[0] == qn {
		s, ok := c.settings[m[1]]
		if !ok {
			return // reported above
		}
		queue = s.Default
		if s.Default == "" {
			c.add(file, m[1], "the trigger's queue setting needs a default (the queue name the templates create)")
		}
	}
	if c.queueName != "" && queue != c.queueName {
		c.add(file, "queueName", "trigger reads queue %q but infra creates %q", queue, c.queueName)
	}
	conn, _ := b["connection"].(string)
	if conn == "" {
		c.add(file, "connection", "the trigger must name its connection setting (the default AzureWebJobsServiceBus is not configured)")
		return
	}
	if c.bicepSettings != nil {
		_, cs := c.bicepSettings[conn]
		_, ns := c.bicepSettings[conn+"__fullyQualifiedNamespace"]
		if !cs && !ns {
			c.add(MainBicepPath, conn+"__fullyQualifiedNamespace", "the trigger's connection %q is not configured in %s", conn, AppSettingsVar)
		}
	}
}

// goSource: every literal setting name the Go code reads is in
// config.Settings: os.Getenv/os.LookupEnv/config.Lookup anywhere, and the
// reader helpers (get, oneOf, dur, getenv, Lookup, as functions or methods)
// inside package config.
// Test files are skipped; names computed at run time cannot be checked.
func (c *checker) goSource(files map[string][]byte) {
	names := make([]string, 0, len(files))
	for n := range files {
		if !strings.HasSuffix(n, "_test.go") { // tests read their own opt-in variables
			names = append(names, n)
		}
	}
	sort.Strings(names)
	configHelpers := map[string]bool{"get": true, "oneOf": true, "dur": true, "boolean": true, "getenv": true, "Lookup": true}
	fset := token.NewFileSet()
	for _, file := range names {
		af, err := parser.ParseFile(fset, file, files[file], parser.SkipObjectResolution)
		if err != nil {
			c.add(file, "", "cannot parse: %v", err)
			continue
		}
		inConfig := af.Name.Name == "config"
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			reads := false
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				pkg, _ := fn.X.(*ast.Ident)
				reads = pkg != nil && (pkg.Name == "os" && (fn.Sel.Name == "Getenv" || fn.Sel.Name == "LookupEnv") ||
					pkg.Name == "config" && fn.Sel.Name == "Lookup") ||
					inConfig && configHelpers[fn.Sel.Name] // config's setting reader: r.get("NAME")
			case *ast.Ident:
				reads = inConfig && configHelpers[fn.Name]
			}
			if !reads {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if _, ok := c.settings[name]; err == nil && !ok {
				c.add(file, name, "line %d reads a setting that is not in config.Settings", fset.Position(lit.Pos()).Line)
			}
			return true
		})
	}
}
