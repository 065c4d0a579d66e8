package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Tenant is what the Graph checks read (graph.Directory implements it).
type Tenant interface {
	AllowInvitesFrom(ctx context.Context) (string, error)
	PrivacyStatementURL(ctx context.Context) (string, error)
	GroupKind(ctx context.Context, groupID string) (workflow.GroupKind, error)
	ObjectExists(ctx context.Context, kind workflow.ChangeKind, id string) (bool, error)
}

// Permissions reads the application permissions granted to the app
// (values such as "User.Invite.All").
type Permissions interface {
	GrantedPermissions(ctx context.Context) ([]string, error)
}

// QueueProperties are the Service Bus queue settings doctor checks.
type QueueProperties struct {
	DuplicateDetection bool
	DuplicateWindow    time.Duration
	MaxDeliveryCount   int
	LockDuration       time.Duration
}

// Queue reads the onboarding queue's properties.
type Queue interface {
	Properties(ctx context.Context) (QueueProperties, error)
}

// Table probes the state table: a row written and deleted.
type Table interface {
	Probe(ctx context.Context) error
}

// Checker runs the checks; a nil source skips its checks.
type Checker struct {
	Tenant      Tenant
	Permissions Permissions
	Queue       Queue
	Table       Table
	// Needed are the application permissions the enabled features need.
	Needed []string
	// Groups, Roles and Apps are the policy's allow-listed object ids
	// ("*" entries are skipped; an app entry may be "spId/appRoleId").
	Groups, Roles, Apps []string
	// DuplicateWindowAtLeast is the longest span a redelivered message
	// must be recognised as a duplicate (the reminder schedule).
	DuplicateWindowAtLeast time.Duration
}

// Run runs every check whose source is set.
func (c Checker) Run(ctx context.Context) Report {
	var r Report
	add := func(res ...Result) { r.Results = append(r.Results, res...) }
	if c.Tenant != nil {
		add(c.invitations(ctx), c.privacy(ctx))
		add(c.groups(ctx)...)
		add(c.objects(ctx, workflow.ChangeRole, "role", c.Roles)...)
		add(c.objects(ctx, workflow.ChangeApp, "app", appIDs(c.Apps))...)
	}
	if c.Permissions != nil {
		add(c.permissions(ctx))
	}
	if c.Queue != nil {
		add(c.queue(ctx))
	}
	if c.Table != nil {
		add(c.table(ctx))
	}
	return r
}

func (c Checker) invitations(ctx context.Context) Result {
	res := Result{Check: "external collaboration"}
	v, err := c.Tenant.AllowInvitesFrom(ctx)
	switch {
	case err != nil:
		res.Status, res.Detail = Warn, "cannot read the authorization policy: "+err.Error()
		res.Fix = "grant the app Policy.Read.All to let doctor check it"
	case strings.EqualFold(v, "everyone") || strings.EqualFold(v, "adminsGuestInvitersAndAllMembers"):
		res.Status, res.Detail = OK, "allowInvitesFrom="+v+": app-only invitations work"
	default:
		res.Status, res.Detail = Fail, "allowInvitesFrom="+v+": app-only invitations are refused"
		res.Fix = "Entra admin center > External Identities > External collaboration settings: set guest invite restrictions to 'Member users and users assigned to specific admin roles can invite' or more open"
	}
	return res
}

func (c Checker) privacy(ctx context.Context) Result {
	res := Result{Check: "privacy statement"}
	u, err := c.Tenant.PrivacyStatementURL(ctx)
	switch {
	case err != nil:
		res.Status, res.Detail = Warn, "cannot read the organization: "+err.Error()
		res.Fix = "grant the app Organization.Read.All to let doctor check it"
	case u == "":
		res.Status, res.Detail = Fail, "the organization has no privacy statement URL; guests must consent to one at redemption"
		res.Fix = "Entra admin center > Identity > Overview > Properties: set 'Privacy statement URL'"
	default:
		res.Status, res.Detail = OK, u
	}
	return res
}

func (c Checker) groups(ctx context.Context) []Result {
	var out []Result
	for _, id := range c.Groups {
		if id == "*" {
			continue
		}
		res := Result{Check: "group " + id}
		k, err := c.Tenant.GroupKind(ctx, id)
		var nf *workflow.NotFoundError
		switch {
		case errors.As(err, &nf):
			res.Status, res.Detail, res.Fix = Fail, "does not exist", "remove it from POLICY_ALLOWED_GROUPS or correct the id"
		case err != nil:
			res.Status, res.Detail, res.Fix = Warn, "cannot read it: "+err.Error(), "grant the app GroupMember.Read.All"
		case !k.TakesMembers():
			res.Status, res.Detail = Fail, k.Explain(id)
			res.Fix = "remove it from POLICY_ALLOWED_GROUPS; use an assigned cloud security group or a Microsoft 365 group"
		default:
			res.Status, res.Detail = OK, "exists and takes direct members"
		}
		out = append(out, res)
	}
	return out
}

func (c Checker) objects(ctx context.Context, kind workflow.ChangeKind, name string, ids []string) []Result {
	var out []Result
	for _, id := range ids {
		if id == "*" {
			continue
		}
		res := Result{Check: name + " " + id}
		ok, err := c.Tenant.ObjectExists(ctx, kind, id)
		switch {
		case err != nil:
			res.Status, res.Detail, res.Fix = Warn, "cannot read it: "+err.Error(), "grant the app the read permission for "+name+"s"
		case !ok:
			res.Status, res.Detail, res.Fix = Fail, "does not exist", "remove it from the policy or correct the id"
		case kind == workflow.ChangeRole && workflow.IsPrivilegedRole(id):
			res.Status, res.Detail = OK, "exists; privileged (Microsoft's PRIVILEGED label): assigned only if POLICY_ALLOWED_PRIVILEGED_ROLES names it"
		default:
			res.Status, res.Detail = OK, "exists"
		}
		out = append(out, res)
	}
	return out
}

func (c Checker) permissions(ctx context.Context) Result {
	res := Result{Check: "graph permissions"}
	got, err := c.Permissions.GrantedPermissions(ctx)
	if err != nil {
		res.Status, res.Detail = Warn, "cannot tell: "+err.Error()
		res.Fix = "grant the app Application.Read.All so it can read its own app role assignments"
		return res
	}
	have := map[string]bool{}
	for _, p := range got {
		have[strings.ToLower(p)] = true
	}
	var missing, extra []string
	need := map[string]bool{}
	for _, p := range c.Needed {
		need[strings.ToLower(p)] = true
		if !have[strings.ToLower(p)] {
			missing = append(missing, p)
		}
	}
	for _, p := range Readers {
		need[strings.ToLower(p)] = true
	}
	for _, p := range got {
		if !need[strings.ToLower(p)] {
			extra = append(extra, p)
		}
	}
	switch {
	case len(missing) > 0:
		res.Status, res.Detail = Fail, "missing "+strings.Join(missing, ", ")
		res.Fix = "grant the app's identity these Microsoft Graph application permissions with admin consent (docs/deploy.md)"
	case len(extra) > 0:
		res.Status, res.Detail = Warn, "not needed: "+strings.Join(extra, ", ")
		res.Fix = "remove the application permissions the enabled features do not need"
	default:
		res.Status, res.Detail = OK, fmt.Sprintf("all %d needed application permissions granted", len(c.Needed))
	}
	return res
}

func (c Checker) queue(ctx context.Context) Result {
	res := Result{Check: "service bus queue"}
	p, err := c.Queue.Properties(ctx)
	if err != nil {
		res.Status, res.Detail, res.Fix = Fail, "cannot read the queue: "+err.Error(), "check SERVICEBUS settings and that the identity has the Azure Service Bus Data Owner role (or the queue exists)"
		return res
	}
	switch {
	case !p.DuplicateDetection:
		res.Status, res.Detail = Fail, "duplicate detection is off: a resent event may onboard twice"
		res.Fix = "recreate the queue with requiresDuplicateDetection=true (it cannot be changed on an existing queue; infra/main.bicep sets it)"
	case p.DuplicateWindow < c.DuplicateWindowAtLeast:
		res.Status, res.Detail = Warn, fmt.Sprintf("duplicate detection window %s is shorter than %s", p.DuplicateWindow, c.DuplicateWindowAtLeast)
		res.Fix = "raise duplicateDetectionHistoryTimeWindow on the queue"
	default:
		res.Status, res.Detail = OK, fmt.Sprintf("duplicate detection %s, max delivery %d, lock %s", p.DuplicateWindow, p.MaxDeliveryCount, p.LockDuration)
	}
	return res
}

func (c Checker) table(ctx context.Context) Result {
	res := Result{Check: "state table"}
	if err := c.Table.Probe(ctx); err != nil {
		res.Status, res.Detail, res.Fix = Fail, "probe row failed: "+err.Error(), "check STATE_STORE settings and that the identity has Storage Table Data Contributor"
		return res
	}
	res.Status, res.Detail = OK, "reachable and writable (probe row written and deleted)"
	return res
}

// appIDs turns POLICY_ALLOWED_APPS entries (spId or spId/appRoleId, "*"
// for any) into the service principal ids to check.
func appIDs(entries []string) []string {
	var out []string
	for _, e := range entries {
		sp, _, _ := strings.Cut(e, "/")
		if sp != "" && sp != "*" {
			out = append(out, sp)
		}
	}
	return out
}
