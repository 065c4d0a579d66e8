package deploytest

import (
	"encoding/json"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Paths of the Azure Developer CLI files and the deploy guide, relative to
// the module root.
const (
	AzureYAMLPath      = "azure.yaml"
	MainParametersPath = "infra/main.parameters.json"
	DeployDocPath      = "docs/deploy.md"
	// PackageOutput is where scripts/package writes the Functions package
	// by default (`make package`): what azd deploys and the az path uploads.
	PackageOutput = "dist/onboard.zip"
)

// RequiredOutputs are the outputs of main.bicep that docs/deploy.md's
// recipes read (azd stores each in the environment under the same name):
// the app's name, host name and URL for `az functionapp` and `onboard status
// --url`, the Service Bus namespace and queue for `onboard send|dlq
// --servicebus`, and the state table endpoint for the recorded reasons.
var RequiredOutputs = []string{
	"functionAppName", "functionAppHostName", "functionAppUrl", "serviceBusNamespace", "queueName", "stateTableEndpoint",
}

var (
	reAzdName     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	reDocOutput   = regexp.MustCompile(`outputs\.(\w+)\.value`)
	reDocAzdValue = regexp.MustCompile(`azd env get-value (\w+)`)
)

// azureYAML is the part of azure.yaml (azd's schema v1.0) the check reads.
type azureYAML struct {
	Name  string `yaml:"name"`
	Infra struct {
		Provider string `yaml:"provider"`
		Path     string `yaml:"path"`
		Module   string `yaml:"module"`
	} `yaml:"infra"`
	Services map[string]struct {
		Project  string `yaml:"project"`
		Language string `yaml:"language"`
		Host     string `yaml:"host"`
		Dist     string `yaml:"dist"`
		Hooks    map[string]struct {
			Shell string `yaml:"shell"`
			Run   string `yaml:"run"`
		} `yaml:"hooks"`
	} `yaml:"services"`
}

// azd checks azure.yaml, infra/main.parameters.json and the outputs
// against main.bicep and docs/deploy.md, so that `azd up` provisions this
// template with its parameters and deploys the package to its function app.
func (c *checker) azd(f BicepFile, azureYAMLSrc, params, deployDoc []byte) {
	c.azureYAML(f, azureYAMLSrc)
	c.mainParameters(f, params)
	for _, name := range RequiredOutputs {
		if _, ok := f.Outputs[name]; !ok {
			c.add(MainBicepPath, name, "no `output %s` (docs/deploy.md's recipes and azd's environment read it)", name)
		}
	}
	used := map[string]bool{}
	for _, re := range []*regexp.Regexp{reDocOutput, reDocAzdValue} {
		for _, m := range re.FindAllStringSubmatch(string(deployDoc), -1) {
			used[m[1]] = true
		}
	}
	for _, name := range sortedKeys(used) {
		if _, ok := f.Outputs[name]; !ok && !strings.HasPrefix(name, "AZURE_") {
			c.add(DeployDocPath, name, "reads an output main.bicep does not declare")
		}
	}
}

func (c *checker) azureYAML(f BicepFile, src []byte) {
	var doc azureYAML
	if err := yaml.Unmarshal(src, &doc); err != nil {
		c.add(AzureYAMLPath, "", "not valid YAML: %v", err)
		return
	}
	if !reAzdName.MatchString(doc.Name) {
		c.add(AzureYAMLPath, "name", "%q: lowercase letters, digits and hyphens, starting and ending with a letter or digit (azd)", doc.Name)
	}
	if p := doc.Infra.Provider; p != "" && p != "bicep" {
		c.add(AzureYAMLPath, "infra.provider", "%q: the template is Bicep", p)
	}
	dir, module := orDefault(doc.Infra.Path, "infra"), orDefault(doc.Infra.Module, "main")
	if got := path.Join(path.Clean(dir), module+".bicep"); got != MainBicepPath {
		c.add(AzureYAMLPath, "infra", "path %q and module %q name %s, want %s", dir, module, got, MainBicepPath)
	}
	if len(doc.Services) != 1 {
		c.add(AzureYAMLPath, "services", "want exactly one service (the function app), found %d", len(doc.Services))
	}
	for name, svc := range doc.Services {
		key := "services." + name
		if svc.Host != "function" {
			c.add(AzureYAMLPath, key+".host", "%q: the app is an Azure Functions app (host: function)", svc.Host)
		}
		if svc.Language != "custom" {
			c.add(AzureYAMLPath, key+".language", "%q: a Go custom handler is language custom (azd builds nothing, the prepackage hook does)", svc.Language)
		}
		if p := path.Clean(orDefault(svc.Project, ".")); p != "." {
			c.add(AzureYAMLPath, key+".project", "%q: the function app's root is the module root (host.json, functions/)", svc.Project)
		}
		if svc.Dist != PackageOutput {
			c.add(AzureYAMLPath, key+".dist", "%q: must be %s, the zip scripts/package writes (azd deploys a .zip dist as it is)", svc.Dist, PackageOutput)
		}
		if run := svc.Hooks["prepackage"].Run; !strings.Contains(run, "./scripts/package") || !strings.Contains(run, "-o "+svc.Dist) {
			c.add(AzureYAMLPath, key+".hooks.prepackage", "run %q must build the package into dist (go run ./scripts/package -o %s)", run, svc.Dist)
		}
		c.azdTag(f, name)
	}
}

var reAzdTag = regexp.MustCompile(`'azd-service-name'\s*:\s*'([^']*)'`)

// azdTag: azd finds the app to deploy a service to by this tag.
func (c *checker) azdTag(f BicepFile, service string) {
	apps := f.ResourcesOfType(FunctionAppType)
	if len(apps) != 1 {
		return // reported by functionApp
	}
	tags, _ := PropValue(apps[0].Body, "tags")
	m := reAzdTag.FindStringSubmatch(tags)
	if m == nil || m[1] != service {
		c.add(MainBicepPath, "tags", "the function app needs the tag 'azd-service-name': '%s' (azure.yaml's service), got %q", service, strings.TrimSpace(tags))
	}
}

// mainParameters: azd's parameters file names only parameters of
// main.bicep, gives each a value, and covers every parameter without a
// default so `azd up` asks for nothing the environment cannot hold.
func (c *checker) mainParameters(f BicepFile, src []byte) {
	var doc struct {
		Schema         string                     `json:"$schema"`
		ContentVersion string                     `json:"contentVersion"`
		Parameters     map[string]json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		c.add(MainParametersPath, "", "not valid JSON: %v", err)
		return
	}
	if !strings.Contains(doc.Schema, "deploymentParameters.json") || doc.ContentVersion == "" {
		c.add(MainParametersPath, "", "not a deployment parameters file ($schema …/deploymentParameters.json#, contentVersion)")
	}
	for _, name := range sortedKeys(doc.Parameters) {
		if _, ok := f.Params[name]; !ok {
			c.add(MainParametersPath, name, "not a parameter of %s (typo, or it was removed)", MainBicepPath)
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal(doc.Parameters[name], &v); err != nil || v["value"] == nil {
			c.add(MainParametersPath, name, "must be an object with a \"value\"")
		}
	}
	for _, name := range sortedKeys(f.Params) {
		if _, ok := doc.Parameters[name]; !ok && f.Params[name] == "" {
			c.add(MainParametersPath, name, "parameter without a default in %s is missing (e.g. \"${%s}\" from the azd environment)", MainBicepPath, strings.ToUpper(name))
		}
	}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
