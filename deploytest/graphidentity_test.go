package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Expressions infra/main.bicep uses for the two identities.
const (
	runtimeClientID    = "identity.properties.clientId"
	graphClientID      = "graphIdentity.properties.clientId"
	graphPrincipalID   = "graphIdentity.properties.principalId"
	userAssignedIDType = "Microsoft.ManagedIdentity/userAssignedIdentities"
)

// graphIdentityProblems checks that main.bicep gives Microsoft Graph an
// identity used by nothing else: the Graph permissions go to graphIdentity
// only, it has no Azure role, the app reaches Graph with it
// (GRAPH_CLIENT_ID) and everything else with the runtime identity, the
// function app carries both, and the outputs name it for
// grant-graph-permissions.sh.
func graphIdentityProblems(src string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	f, err := ParseBicep(src)
	if err != nil {
		return []string{err.Error()}
	}

	found := false
	for _, r := range f.ResourcesOfType(userAssignedIDType) {
		if r.Symbol == "graphIdentity" {
			found = true
			if name, _ := PropValue(r.Body, "name"); !strings.Contains(name, "-graph") {
				bad("graphIdentity: name %s should say -graph", name)
			}
		}
	}
	if !found {
		bad("no user-assigned identity graphIdentity")
	}

	// Graph permissions: the module is given the Graph identity's principal.
	var module string
	for _, st := range statements(stripComments(src)) {
		if st = strings.TrimSpace(st); strings.HasPrefix(st, "module ") && strings.Contains(st, "graph-permissions.bicep") {
			module = st
		}
	}
	obj, err := firstObject(module)
	if err != nil {
		bad("no graph-permissions module: %v", err)
	} else {
		params, _ := PropValue(obj, "params")
		if p, _ := PropValue(params, "principalId"); p != graphPrincipalID {
			bad("graph-permissions module: principalId is %q, want %s (Graph permissions go to the Graph identity only)", p, graphPrincipalID)
		}
	}

	// Azure roles: none for the Graph identity.
	for _, r := range f.ResourcesOfType("Microsoft.Authorization/roleAssignments") {
		if strings.Contains(r.Body, "graphIdentity") {
			bad("role assignment %s involves graphIdentity; the Graph identity gets no Azure role", r.Symbol)
		}
	}

	// App settings: Graph with the Graph identity, everything else with the runtime identity.
	want := map[string]string{
		"GRAPH_CLIENT_ID":                graphClientID,
		"AZURE_CLIENT_ID":                runtimeClientID,
		"ServiceBusConnection__clientId": runtimeClientID,
		"AzureWebJobsStorage__clientId":  runtimeClientID,
	}
	props, _ := ObjectProps(f.Vars[AppSettingsVar])
	for _, p := range props {
		if w, ok := want[p.Key]; ok {
			if p.Value != w {
				bad("app setting %s is %s, want %s", p.Key, p.Value, w)
			}
			delete(want, p.Key)
		} else if strings.Contains(p.Value, "graphIdentity") {
			bad("app setting %s uses graphIdentity; only GRAPH_CLIENT_ID may", p.Key)
		}
	}
	for k := range want {
		bad("app setting %s missing", k)
	}

	// The function app carries both identities.
	for _, r := range f.ResourcesOfType(FunctionAppType) {
		id, _ := PropValue(r.Body, "identity")
		ua, _ := PropValue(id, "userAssignedIdentities")
		for _, sym := range []string{"identity", "graphIdentity"} {
			if !strings.Contains(ua, "'${"+sym+".id}'") {
				bad("function app identity.userAssignedIdentities lacks %s", sym)
			}
		}
	}

	// Outputs the grant script and operators read.
	clean := stripComments(src)
	for _, o := range []string{
		"output graphIdentityPrincipalId string = " + graphPrincipalID,
		"output graphIdentityClientId string = " + graphClientID,
	} {
		if !strings.Contains(clean, o) {
			bad("missing %q", o)
		}
	}
	return out
}

// TestGraphIdentityOnly: the template gives Graph its own identity, and
// the check is no rubber stamp: each mutation that hands Graph power or
// Graph traffic to the runtime identity, or another role to the Graph
// identity, is reported.
func TestGraphIdentityOnly(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), MainBicepPath))
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	if ps := graphIdentityProblems(src); len(ps) > 0 {
		t.Fatalf("infra/main.bicep:\n  %s", strings.Join(ps, "\n  "))
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"permissions to the runtime identity",
			"principalId: graphIdentity.properties.principalId\n    permissions:", "principalId: identity.properties.principalId\n    permissions:",
			"graph-permissions module: principalId"},
		{"Graph with the runtime identity",
			"GRAPH_CLIENT_ID: graphIdentity.properties.clientId", "GRAPH_CLIENT_ID: identity.properties.clientId",
			"app setting GRAPH_CLIENT_ID"},
		{"no GRAPH_CLIENT_ID",
			"  GRAPH_CLIENT_ID: graphIdentity.properties.clientId\n", "",
			"app setting GRAPH_CLIENT_ID missing"},
		{"Service Bus with the Graph identity",
			"ServiceBusConnection__clientId: identity.properties.clientId", "ServiceBusConnection__clientId: graphIdentity.properties.clientId",
			"app setting ServiceBusConnection__clientId"},
		{"Azure role for the Graph identity",
			"principalId: identity.properties.principalId\n    principalType: 'ServicePrincipal'\n  }\n}\n\n// Telemetry",
			"principalId: graphIdentity.properties.principalId\n    principalType: 'ServicePrincipal'\n  }\n}\n\n// Telemetry",
			"involves graphIdentity"},
		{"Graph identity not attached",
			"      '${graphIdentity.id}': {}\n", "",
			"lacks graphIdentity"},
		{"output for the grant script",
			"output graphIdentityPrincipalId string = graphIdentity.properties.principalId", "output graphIdentityPrincipalId string = identity.properties.principalId",
			"output graphIdentityPrincipalId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := graphIdentityProblems(replaceOnce(t, src, tc.old, tc.new))
			if !strings.Contains(strings.Join(ps, "\n"), tc.want) {
				t.Errorf("problems %q, want one mentioning %q", ps, tc.want)
			}
		})
	}
}
