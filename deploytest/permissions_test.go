package deploytest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// graphPermissions is the least-privilege rule of infra/main.bicep
// (var graphPermissionList): permissions always granted, and those granted
// when a policy parameter is not empty.
type graphPermissions struct {
	base        []string
	conditional map[string][]string // parameter (e.g. policyAllowedGroups) → permissions
}

var (
	rePermission  = regexp.MustCompile(`'([A-Za-z]+(?:[.-][A-Za-z]+)+)'`)
	reConditional = regexp.MustCompile(`!empty\((\w+)\)\s*\?\s*\[([^\]]*)\]`)
)

func (g graphPermissions) all() []string {
	out := slices.Clone(g.base)
	for _, ps := range g.conditional {
		out = append(out, ps...)
	}
	sort.Strings(out)
	return out
}

// want returns the permissions for the enabled parameters, in the order the
// templates and the script grant them.
func (g graphPermissions) want(enabled ...string) []string {
	out := slices.Clone(g.base)
	for _, p := range enabled {
		out = append(out, g.conditional[p]...)
	}
	return out
}

func bicepGraphPermissions(t *testing.T, root string) (graphPermissions, BicepFile) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, MainBicepPath))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseBicep(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	expr, ok := f.Vars["graphPermissionList"]
	if !ok {
		t.Fatal("infra/main.bicep has no var graphPermissionList")
	}
	g := graphPermissions{conditional: map[string][]string{}}
	first, err := firstBracket(expr)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rePermission.FindAllStringSubmatch(first, -1) {
		g.base = append(g.base, m[1])
	}
	for _, m := range reConditional.FindAllStringSubmatch(expr, -1) {
		for _, p := range rePermission.FindAllStringSubmatch(m[2], -1) {
			g.conditional[m[1]] = append(g.conditional[m[1]], p[1])
		}
	}
	if len(g.base) == 0 || len(g.conditional) == 0 {
		t.Fatalf("cannot read graphPermissionList: %s", expr)
	}
	if !strings.Contains(string(raw), "permissions: graphPermissionList") {
		t.Error("the graph-permissions module is not given graphPermissionList")
	}
	return g, f
}

// firstBracket returns the first [...] of expr.
func firstBracket(expr string) (string, error) {
	i := strings.IndexByte(expr, '[')
	j := strings.IndexByte(expr, ']')
	if i < 0 || j < i {
		return "", fmt.Errorf("no [...] in %q", expr)
	}
	return expr[i : j+1], nil
}

// TestGraphPermissionsLeastPrivilege pins the permission rule and checks
// that the deploy doc explains exactly the permissions the template grants,
// with the policy setting that turns each conditional one on.
func TestGraphPermissionsLeastPrivilege(t *testing.T) {
	root := moduleRoot(t)
	g, f := bicepGraphPermissions(t, root)
	want := graphPermissions{
		base: []string{"User.Invite.All", "User.ReadWrite.All"},
		conditional: map[string][]string{
			"policyAllowedGroups": {"GroupMember.ReadWrite.All"},
			"policyAllowedRoles":  {"RoleManagement.ReadWrite.Directory"},
			"policyAllowedApps":   {"AppRoleAssignment.ReadWrite.All", "Application.Read.All"},
		},
	}
	if !slices.Equal(g.base, want.base) || len(g.conditional) != len(want.conditional) {
		t.Errorf("graphPermissionList = %+v, want %+v", g, want)
	}
	for p, ps := range want.conditional {
		if !slices.Equal(g.conditional[p], ps) {
			t.Errorf("with %s: %v, want %v", p, g.conditional[p], ps)
		}
	}
	for _, broad := range []string{"Directory.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All"} {
		if slices.Contains(g.all(), broad) {
			t.Errorf("%s is broader than any call needs", broad)
		}
	}

	// The doc's table: one row per permission; conditional rows name the setting.
	settingOf := map[string]string{} // parameter → app setting it feeds
	props, _ := ObjectProps(f.Vars[AppSettingsVar])
	for _, p := range props {
		settingOf[strings.TrimSpace(p.Value)] = p.Key
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := docPermissionRows(string(doc))
	var documented []string
	for name := range rows {
		documented = append(documented, name)
	}
	sort.Strings(documented)
	if !slices.Equal(documented, g.all()) {
		t.Errorf("docs/deploy.md permissions table lists %v, the template grants %v", documented, g.all())
	}
	for _, p := range g.base {
		if !strings.Contains(rows[p], "always") {
			t.Errorf("docs/deploy.md: %s is always granted, the row says %q", p, rows[p])
		}
	}
	for param, ps := range g.conditional {
		setting := settingOf[param]
		for _, p := range ps {
			if setting == "" || !strings.Contains(rows[p], setting) {
				t.Errorf("docs/deploy.md: %s is granted when %s (%s) is not empty, the row says %q", p, setting, param, rows[p])
			}
		}
	}
}

// docPermissionRows maps each permission of the "Microsoft Graph
// permissions" table in docs/deploy.md to its "Granted" cell.
func docPermissionRows(doc string) map[string]string {
	rows := map[string]string{}
	in, fence := false, false
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if strings.HasPrefix(t, "#") {
			in = strings.Contains(t, "Microsoft Graph permissions")
			continue
		}
		if !in || !strings.HasPrefix(t, "| `") {
			continue
		}
		cells := splitRow(t)
		if len(cells) >= 2 {
			rows[strings.Trim(cells[0], "`")] = cells[1]
		}
	}
	return rows
}

// fakeAzScript answers the az calls grant-graph-permissions.sh makes from
// files in its directory and logs every call, so the script's real logic
// runs without Azure. Of the deployment outputs it answers only the Graph
// identity's principal: a script that read the runtime identity's
// (identityPrincipalId) would fail as an unexpected call.
const fakeAzScript = `#!/usr/bin/env bash
dir=$(dirname "$0")
printf '%s\n' "$*" >> "$dir/calls.log"
case "$*" in
  "ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv") echo graph-sp-object-id ;;
  "ad sp show --id 00000003-0000-0000-c000-000000000000 --query appRoles"*) cat "$dir/roles.tsv" ;;
  "rest --method GET"*) cat "$dir/held.tsv" ;;
  "rest --method POST"*) ;;
  "deployment group show"*"--query properties.outputs.graphIdentityPrincipalId.value"*) cat "$dir/principal.txt" ;;
  "deployment group show"*graphPermissions*) cat "$dir/outputs.txt" ;;
  *) echo "fake az: unexpected call: $*" >&2; exit 3 ;;
esac
`

// graphRoleIDs stands in for Microsoft Graph's application app roles.
var graphRoleIDs = map[string]string{
	"User.Invite.All":                    "00000000-0000-0000-0001-000000000001",
	"User.ReadWrite.All":                 "00000000-0000-0000-0001-000000000002",
	"User.Read.All":                      "00000000-0000-0000-0001-000000000003",
	"GroupMember.ReadWrite.All":          "00000000-0000-0000-0001-000000000004",
	"RoleManagement.ReadWrite.Directory": "00000000-0000-0000-0001-000000000005",
	"AppRoleAssignment.ReadWrite.All":    "00000000-0000-0000-0001-000000000006",
	"Application.Read.All":               "00000000-0000-0000-0001-000000000007",
	"Directory.ReadWrite.All":            "00000000-0000-0000-0001-000000000008",
}

var rePostedRole = regexp.MustCompile(`"appRoleId":"([0-9a-f-]+)"`)

// TestGrantScript runs infra/grant-graph-permissions.sh against a fake az
// and checks it grants exactly what the template would for the same
// policy, skips what is already granted and points out what is not needed.
func TestGrantScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	root := moduleRoot(t)
	g, _ := bicepGraphPermissions(t, root)
	const principal = "11111111-2222-3333-4444-555555555555"
	nameOf := map[string]string{}
	var roles strings.Builder
	for name, id := range graphRoleIDs {
		nameOf[id] = name
		fmt.Fprintf(&roles, "%s\t%s\n", name, id)
	}
	// The identity already holds User.Invite.All (skip) and Directory.ReadWrite.All (not needed).
	held := graphRoleIDs["User.Invite.All"] + "\tassignment-1\n" + graphRoleIDs["Directory.ReadWrite.All"] + "\tassignment-2\n"

	cases := []struct {
		name    string
		args    []string
		outputs []string // deployment outputs for --resource-group
		want    []string // permissions the template grants for this policy
		fail    string   // expected error instead
	}{
		{name: "no assignments allowed", args: []string{"--principal-id", principal}, want: g.want()},
		{name: "groups", args: []string{"--principal-id", principal, "--groups"}, want: g.want("policyAllowedGroups")},
		{name: "roles", args: []string{"--principal-id", principal, "--roles"}, want: g.want("policyAllowedRoles")},
		{name: "apps", args: []string{"--principal-id", principal, "--apps"}, want: g.want("policyAllowedApps")},
		{name: "everything", args: []string{"--principal-id", principal, "--groups", "--roles", "--apps"},
			want: g.want("policyAllowedGroups", "policyAllowedRoles", "policyAllowedApps")},
		{name: "from deployment outputs", args: []string{"--resource-group", "rg-onboard"},
			outputs: g.want("policyAllowedApps"), want: g.want("policyAllowedApps")},
		{name: "dry run grants nothing", args: []string{"--principal-id", principal, "--groups", "--dry-run"},
			want: g.want("policyAllowedGroups")},
		{name: "unknown permission in outputs", args: []string{"--resource-group", "rg-onboard"},
			outputs: []string{"User.Invite.All", "User.Everything.All"}, fail: "no application permission named User.Everything.All"},
		{name: "principal is not an object id", args: []string{"--principal-id", "my-identity"},
			fail: "principal id must be an object id"},
		{name: "no principal", args: []string{"--groups"}, fail: "--principal-id or --resource-group is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"az": fakeAzScript, "roles.tsv": roles.String(), "held.tsv": held,
				"principal.txt": principal + "\n", "outputs.txt": strings.Join(tc.outputs, "\n") + "\n",
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(bash, filepath.Join(root, "infra", "grant-graph-permissions.sh"))
			cmd.Args = append(cmd.Args, tc.args...)
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tc.fail != "" {
				if err == nil || !strings.Contains(stderr.String(), tc.fail) {
					t.Fatalf("err = %v, stderr %q; want failure mentioning %q", err, stderr.String(), tc.fail)
				}
				return
			}
			if err != nil {
				t.Fatalf("script failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
			var posted []string
			for _, line := range strings.Split(string(calls), "\n") {
				if !strings.HasPrefix(line, "rest --method POST") {
					continue
				}
				if !strings.Contains(line, "/servicePrincipals/graph-sp-object-id/appRoleAssignedTo") ||
					!strings.Contains(line, `"principalId":"`+principal+`"`) || !strings.Contains(line, `"resourceId":"graph-sp-object-id"`) {
					t.Errorf("grant call does not assign to the identity on Microsoft Graph: %s", line)
				}
				if m := rePostedRole.FindStringSubmatch(line); m != nil {
					posted = append(posted, nameOf[m[1]])
				}
			}
			var wantPosted []string
			if !slices.Contains(tc.args, "--dry-run") {
				for _, p := range tc.want {
					if p != "User.Invite.All" { // already held
						wantPosted = append(wantPosted, p)
					}
				}
			}
			if !slices.Equal(posted, wantPosted) {
				t.Errorf("granted %v, want %v", posted, wantPosted)
			}
			if !strings.Contains(stdout.String(), "already granted: User.Invite.All") {
				t.Errorf("stdout does not report the permission already held:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), "not needed:      Directory.ReadWrite.All") ||
				!strings.Contains(stderr.String(), "appRoleAssignments/assignment-2") {
				t.Errorf("stderr does not point out the unneeded Directory.ReadWrite.All:\n%s", stderr.String())
			}
		})
	}
}
