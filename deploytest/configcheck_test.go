package deploytest

import (
	"maps"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/config"
)

// TestConfigConsistent is the configuration check on the real files: every
// setting the code reads is documented in README.md, present in
// local.settings.sample.json and set in infra/main.bicep; function.json
// bindings use known settings and the queue infra creates; the Go code reads
// only listed settings.
func TestConfigConsistent(t *testing.T) {
	src, err := LoadSources(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	problems := CheckConfig(config.Settings, src)
	byFile := map[string][]Problem{}
	for _, p := range problems {
		file := p.File
		if strings.HasPrefix(file, FunctionsDir+"/") {
			file = FunctionsDir
		} else if strings.HasSuffix(file, ".go") {
			file = "go"
		}
		byFile[file] = append(byFile[file], p)
	}
	for _, file := range []string{ReadmePath, SamplePath, MainBicepPath, FunctionsDir, "go", "config.Settings", AzureYAMLPath, MainParametersPath, DeployDocPath} {
		t.Run(file, func(t *testing.T) {
			if file == ReadmePath && src.README == nil {
				t.Skipf("README.md does not exist yet: its %q section must hold the table printed by `go run ./deploytest/gen` (rows `| `NAME` | `default` | doc |`)", ConfigHeading)
			}
			if ps := byFile[file]; len(ps) > 0 {
				t.Errorf("%d configuration problem(s):%s", len(ps), problemsText(ps))
			}
			delete(byFile, file)
		})
	}
	for file, ps := range byFile {
		t.Errorf("%s: %d unexpected problem(s):%s", file, len(ps), problemsText(ps))
	}
}

// baseSources is the real repository's sources with the README replaced by
// one generated from config.Settings, so the failure cases below do not
// depend on the state of README.md (TestConfigConsistent checks that).
func baseSources(t *testing.T) Sources {
	t.Helper()
	src, err := LoadSources(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	src.README = []byte("# onboard\n\n" + ConfigHeading + "\n\n" + SettingsTable(config.Settings) + "\n## Deploy\n\nsee docs/deploy.md\n")
	return src
}

// mutate returns a copy of src with one file's text changed by edit.
func mutate(src Sources, file string, edit func(string) string) Sources {
	out := src
	out.FunctionJSON = maps.Clone(src.FunctionJSON)
	out.GoFiles = maps.Clone(src.GoFiles)
	switch {
	case file == ReadmePath:
		out.README = []byte(edit(string(src.README)))
	case file == SamplePath:
		out.Sample = []byte(edit(string(src.Sample)))
	case file == MainBicepPath:
		out.MainBicep = []byte(edit(string(src.MainBicep)))
	case file == QueueJSONPath:
		out.QueueJSON = []byte(edit(string(src.QueueJSON)))
	case file == HostJSONPath:
		out.HostJSON = []byte(edit(string(src.HostJSON)))
	case file == AzureYAMLPath:
		out.AzureYAML = []byte(edit(string(src.AzureYAML)))
	case file == MainParametersPath:
		out.MainParameters = []byte(edit(string(src.MainParameters)))
	case file == DeployDocPath:
		out.DeployDoc = []byte(edit(string(src.DeployDoc)))
	case strings.HasSuffix(file, "function.json"):
		out.FunctionJSON[file] = []byte(edit(string(src.FunctionJSON[file])))
	default:
		out.GoFiles[file] = []byte(edit(string(src.GoFiles[file])))
	}
	return out
}

// TestConfigCheckFailsWhenSomethingIsMissing shows the check is not a
// rubber stamp: each mutated copy of the real files yields the expected
// problem, naming the file and the setting.
func TestConfigCheckFailsWhenSomethingIsMissing(t *testing.T) {
	base := baseSources(t)
	if ps := CheckConfig(config.Settings, base); len(ps) > 0 {
		t.Fatalf("unmutated sources must be consistent, got:%s", problemsText(ps))
	}
	const trigger = "functions/OnboardingEvents/function.json"
	readmeRow := func(name string) string {
		s, _ := config.Lookup(name)
		row := "| `" + s.Name + "` | "
		if s.Default != "" {
			row += "`" + s.Default + "`"
		}
		return row + " | " + s.Doc + " |\n"
	}
	type want struct{ file, setting, rule string }
	cases := []struct {
		name     string
		file     string
		edit     func(t *testing.T, s string) string
		settings []config.Setting // nil: config.Settings
		want     []want
	}{
		{
			name: "README row removed",
			file: ReadmePath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, readmeRow("STATE_TABLE_NAME"), "") },
			want: []want{{ReadmePath, "STATE_TABLE_NAME", "not documented"}},
		},
		{
			name: "README default out of date",
			file: ReadmePath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "`3d,7d,14d`", "`1d,2d`") },
			want: []want{{ReadmePath, "REMINDER_SCHEDULE", `the code's default is "3d,7d,14d"`}},
		},
		{
			name: "README description edited by hand",
			file: ReadmePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "Table holding onboarding records and the failure log.", "The table.")
			},
			want: []want{{ReadmePath, "STATE_TABLE_NAME", "description differs"}},
		},
		{
			name: "README documents a removed setting",
			file: ReadmePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, readmeRow("LOG_LEVEL"), readmeRow("LOG_LEVEL")+"| `LOG_COLOR` | | Colours. |\n")
			},
			want: []want{{ReadmePath, "LOG_COLOR", "does not read"}},
		},
		{
			name: "README without the Configuration heading",
			file: ReadmePath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, ConfigHeading+"\n", "## Settings\n") },
			want: []want{{ReadmePath, "", `no "## Configuration" section`}},
		},
		{
			name: "sample lacks a required setting",
			file: SamplePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `    "STATE_TABLE_ENDPOINT": "",`+"\n", "")
			},
			want: []want{{SamplePath, "STATE_TABLE_ENDPOINT", "required setting missing"}},
		},
		{
			name: "sample has a misspelt setting",
			file: SamplePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"STATE_TABLE_NAME": "onboarding"`, `"STATE_TABLE_NAME": "onboarding", "STATE_TABEL_NAME": "x"`)
			},
			want: []want{{SamplePath, "STATE_TABEL_NAME", "not a setting"}},
		},
		{
			name: "sample holds a secret",
			file: SamplePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"AzureWebJobsStorage": "UseDevelopmentStorage=true"`,
					`"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0"`)
			},
			want: []want{{SamplePath, "AzureWebJobsStorage", "holds a secret"}},
		},
		{
			name: "sample value the code rejects",
			file: SamplePath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"EXPIRY_ACTION": "none"`, `"EXPIRY_ACTION": "archive"`)
			},
			want: []want{{SamplePath, "", "config.Load rejects the sample: invalid settings:\n  EXPIRY_ACTION"}},
		},
		{
			name: "azure.yaml deploys to App Service",
			file: AzureYAMLPath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "host: function", "host: appservice") },
			want: []want{{AzureYAMLPath, "services.onboard.host", "host: function"}},
		},
		{
			name: "azure.yaml language go (azd would try go build)",
			file: AzureYAMLPath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "language: custom", "language: go") },
			want: []want{{AzureYAMLPath, "services.onboard.language", "language custom"}},
		},
		{
			name: "azure.yaml dist is not the package the hook writes",
			file: AzureYAMLPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "dist: dist/onboard.zip", "dist: dist/app.zip")
			},
			want: []want{
				{AzureYAMLPath, "services.onboard.dist", "must be dist/onboard.zip"},
				{AzureYAMLPath, "services.onboard.hooks.prepackage", "must build the package into dist"},
			},
		},
		{
			name: "azure.yaml service renamed: the app's tag no longer matches",
			file: AzureYAMLPath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "  onboard:\n", "  handler:\n") },
			want: []want{{MainBicepPath, "tags", "'azd-service-name': 'handler'"}},
		},
		{
			name: "azure.yaml infra module that does not exist",
			file: AzureYAMLPath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "module: main", "module: resources") },
			want: []want{{AzureYAMLPath, "infra", "want infra/main.bicep"}},
		},
		{
			name: "main.parameters.json names a parameter main.bicep lacks",
			file: MainParametersPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"policyAllowedSources"`, `"policyAllowedSource"`)
			},
			want: []want{{MainParametersPath, "policyAllowedSource", "not a parameter of infra/main.bicep"}},
		},
		{
			name: "main.parameters.json lacks a parameter without default",
			file: MainParametersPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"alertEmail": {
      "value": "${ALERT_EMAIL}"
    },`, "")
			},
			want: []want{{MainParametersPath, "alertEmail", "parameter without a default"}},
		},
		{
			name: "Bicep output the recipes read removed",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "output functionAppHostName string", "output appHost string")
			},
			want: []want{{MainBicepPath, "functionAppHostName", "no `output functionAppHostName`"}},
		},
		{
			name: "deploy guide reads an output that does not exist",
			file: DeployDocPath,
			edit: func(t *testing.T, s string) string { return s + "\n`azd env get-value functionAppKey`\n" },
			want: []want{{DeployDocPath, "functionAppKey", "reads an output main.bicep does not declare"}},
		},
		{
			name: "Bicep lacks a required app setting",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "  POLICY_ALLOWED_SOURCES: policyAllowedSources\n", "")
			},
			want: []want{{MainBicepPath, "POLICY_ALLOWED_SOURCES", "required setting missing from appSettings"}},
		},
		{
			name: "Bicep sets a setting nobody reads",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "  SCHEDULER: 'servicebus'\n", "  SCHEDULER: 'servicebus'\n  SCHEDULER_KIND: 'servicebus'\n")
			},
			want: []want{{MainBicepPath, "SCHEDULER_KIND", "not a setting"}},
		},
		{
			name: "Bicep sets FUNCTIONS_WORKER_RUNTIME on Flex",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "  SCHEDULER: 'servicebus'\n", "  SCHEDULER: 'servicebus'\n  FUNCTIONS_WORKER_RUNTIME: 'custom'\n")
			},
			want: []want{{MainBicepPath, "FUNCTIONS_WORKER_RUNTIME", "not allowed on Flex Consumption"}},
		},
		{
			name: "Bicep parameter default disagrees with the code",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "param reminderExpireAfter string = '30d'", "param reminderExpireAfter string = '21d'")
			},
			want: []want{{MainBicepPath, "REMINDER_EXPIRE_AFTER", `parameter reminderExpireAfter defaults to "21d", the code's default is "30d"`}},
		},
		{
			name: "queue created under another name than the setting",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "  ONBOARDING_QUEUE: queueName\n", "  ONBOARDING_QUEUE: 'onboarding-events'\n")
			},
			want: []want{{MainBicepPath, "ONBOARDING_QUEUE", "the queue resource is named queueName"}},
		},
		{
			name: "queue parameter default differs from the trigger's queue",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "param queueName string = 'onboarding'", "param queueName string = 'partners'")
			},
			want: []want{
				{MainBicepPath, "ONBOARDING_QUEUE", `parameter queueName defaults to "partners"`},
				{trigger, "queueName", `trigger reads queue "onboarding" but infra creates "partners"`},
			},
		},
		{
			name: "function app not on the custom runtime",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string { return replaceOnce(t, s, "name: 'custom'", "name: 'node'") },
			want: []want{{MainBicepPath, "functionAppConfig.runtime.name", "must be 'custom'"}},
		},
		{
			name: "no dead-letter alert",
			file: MainBicepPath,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "metricName: 'DeadletteredMessages'", "metricName: 'ActiveMessages'")
			},
			want: []want{{MainBicepPath, MetricAlertType, "DeadletteredMessages"}},
		},
		{
			name: "function.json uses an unknown setting",
			file: trigger,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"%ONBOARDING_QUEUE%"`, `"%ONBOARDING_QUEUE_NAME%"`)
			},
			want: []want{{trigger, "ONBOARDING_QUEUE_NAME", "not in config.Settings"}},
		},
		{
			name: "trigger reads a queue infra does not create",
			file: trigger,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"%ONBOARDING_QUEUE%"`, `"onboarding-events"`)
			},
			want: []want{{trigger, "queueName", `trigger reads queue "onboarding-events" but infra creates "onboarding"`}},
		},
		{
			name: "trigger connection not configured in infra",
			file: trigger,
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `"connection": "ServiceBusConnection"`, `"connection": "PartnerBus"`)
			},
			want: []want{{MainBicepPath, "PartnerBus__fullyQualifiedNamespace", `connection "PartnerBus" is not configured`}},
		},
		{
			name: "Go code reads an unlisted environment variable",
			file: "handlers/extra.go",
			edit: func(t *testing.T, _ string) string {
				return "package handlers\n\nimport \"os\"\n\nfunc mode() string {\n\treturn os.Getenv(\"ONBOARD_SECRET_MODE\")\n}\n"
			},
			want: []want{{"handlers/extra.go", "ONBOARD_SECRET_MODE", "line 6 reads a setting that is not in config.Settings"}},
		},
		{
			name: "config reads a setting through its helpers that is not listed",
			file: "config/extra.go",
			edit: func(t *testing.T, _ string) string {
				return "package config\n\nfunc verbosity(get func(string) string) string { return get(\"LOG_VERBOSITY\") }\n"
			},
			want: []want{{"config/extra.go", "LOG_VERBOSITY", "not in config.Settings"}},
		},
		{
			name: "config reads a setting through its reader that is not listed",
			file: "config/extra.go",
			edit: func(t *testing.T, _ string) string {
				return "package config\n\nfunc (r *reader) verbosity() string { return r.get(\"LOG_VERBOSITY\") }\n"
			},
			want: []want{{"config/extra.go", "LOG_VERBOSITY", "not in config.Settings"}},
		},
		{
			name: "tests may read any variable",
			file: "handlers/extra_test.go",
			edit: func(t *testing.T, _ string) string {
				return "package handlers\n\nimport \"os\"\n\nvar live = os.Getenv(\"ONBOARD_LIVE_X\")\n"
			},
		},
		{
			name: "new required setting in config.Settings but nowhere else",
			settings: append(append([]config.Setting(nil), config.Settings...),
				config.Setting{Name: "GRAPH_TENANT_ID", Doc: "Tenant to onboard into."}),
			want: []want{
				{ReadmePath, "GRAPH_TENANT_ID", "not documented"},
				{SamplePath, "GRAPH_TENANT_ID", "required setting missing"},
				{MainBicepPath, "GRAPH_TENANT_ID", "required setting missing"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := base
			if tc.edit != nil {
				src = mutate(base, tc.file, func(s string) string { return tc.edit(t, s) })
			}
			settings := tc.settings
			if settings == nil {
				settings = config.Settings
			}
			got := CheckConfig(settings, src)
			if len(got) != len(tc.want) {
				t.Errorf("got %d problems, want %d:%s", len(got), len(tc.want), problemsText(got))
			}
			for _, w := range tc.want {
				found := false
				for _, p := range got {
					if p.File == w.file && p.Setting == w.setting && strings.Contains(p.Rule, w.rule) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %s: %s: …%s…; got:%s", w.file, w.setting, w.rule, problemsText(got))
				}
			}
		})
	}
}

// TestSettingsTableRoundTrip checks that what the generator prints is what
// the README check reads back, including a `|` inside a description.
func TestSettingsTableRoundTrip(t *testing.T) {
	settings := []config.Setting{
		{Name: "A_SETTING", Default: "x,y", Doc: "Uses `a|b` syntax."},
		{Name: "ServiceBusConnection__clientId", Doc: "No default.", Optional: true},
	}
	readme := "intro\n\n" + ConfigHeading + "\n\n" + SettingsTable(settings) + "\n## Next\n| `B` | | not in the section |\n"
	rows, found := ConfigTable(readme)
	if !found {
		t.Fatal("heading not found")
	}
	if len(rows) != len(settings) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(settings), rows)
	}
	for i, s := range settings {
		if rows[i].Name != s.Name || rows[i].Default != s.Default || rows[i].Doc != s.Doc {
			t.Errorf("row %d = %+v, want %s / %q / %q", i, rows[i], s.Name, s.Default, s.Doc)
		}
	}
}
