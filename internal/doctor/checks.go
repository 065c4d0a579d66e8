package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Tenant is what the Graph checks read (graph.Directory implements it).
type Tenant interface {
	AllowInvitesFrom(ctx context.Context) (string, error)
	PrivacyStatementURL(ctx context.Context) (string, error)
	GroupKind(ctx context.Context, groupID string) (workflow.GroupKind, error)
	ObjectExists(ctx context.Context, kind workflow.ChangeKind, id string) (bool, error)
	ServicePrincipal(ctx context.Context, id string) (graph.ServicePrincipalState, error)
	DefaultInboundB2B(ctx context.Context) (access string, allUsers bool, err error)
}

// Records lists the state store's onboarding records (workflow.Store's
// List), for the manager ids recent onboardings use.
type Records interface {
	List(ctx context.Context) ([]workflow.Record, error)
}

// Permissions reads the application permissions granted to the app
// (values such as "User.Invite.All").
type Permissions interface {
	GrantedPermissions(ctx context.Context) ([]string, error)
}

// QueueProperties are the Service Bus queue settings doctor checks.
type QueueProperties struct {
	// Status is the entity status: Active, Disabled, SendDisabled or
	// ReceiveDisabled.
	Status             string
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
	QueueAccess QueueAccess
	Table       Table
	Records     Records
	// Needed are the application permissions the enabled features need.
	Needed []string
	// Groups, Roles and Apps are the policy's allow-listed object ids
	// ("*" entries are skipped; an app entry may be "spId/appRoleId").
	Groups, Roles, Apps []string
	// DuplicateWindowAtLeast is the longest span over which a step may
	// send the same MessageId again (RETRY_MAX_ELAPSED, see ForConfig).
	DuplicateWindowAtLeast time.Duration
	// MaxDeliveryCount and LockDuration are the queue's expected values
	// (infra/queue.json); zero: not checked.
	MaxDeliveryCount int
	LockDuration     time.Duration
}

// Run runs every check whose source is set.
func (c Checker) Run(ctx context.Context) Report {
	var r Report
	add := func(res ...Result) { r.Results = append(r.Results, res...) }
	if c.Tenant != nil {
		add(c.invitations(ctx), c.crossTenant(ctx), c.privacy(ctx))
		add(c.groups(ctx)...)
		add(c.objects(ctx, workflow.ChangeRole, "role", c.Roles)...)
		add(c.apps(ctx)...)
		if c.Records != nil {
			add(c.managers(ctx))
		}
	}
	if c.Permissions != nil {
		add(c.permissions(ctx))
	}
	if c.Queue != nil {
		add(c.queue(ctx))
	}
	if c.QueueAccess != nil {
		add(c.queueAccess(ctx))
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

// crossTenant reads the cross-tenant access default. Graph v1.0 has no
// way to map POLICY_ALLOWED_DOMAINS to the partners' tenants (their
// partner-specific settings are keyed by tenant id), and the B2B
// invitation domain allow/deny list ("collaboration restrictions") is
// readable only through a beta API, so: a default that blocks inbound B2B
// collaboration is a warning (partner settings may still allow the
// partners), and an allowing default passes with the domain list named
// as unchecked.
func (c Checker) crossTenant(ctx context.Context) Result {
	res := Result{Check: "cross-tenant access"}
	access, allUsers, err := c.Tenant.DefaultInboundB2B(ctx)
	switch {
	case err != nil:
		res.Status, res.Detail = Warn, "cannot read the cross-tenant access default: "+err.Error()
		res.Fix = "grant the app Policy.Read.All to let doctor check it"
	case access == "blocked" && allUsers:
		res.Status, res.Detail = Warn, "the cross-tenant access default blocks inbound B2B collaboration: guests from organizations without partner-specific settings are refused; doctor cannot tell which organizations the allowed domains belong to"
		res.Fix = "Entra admin center > External Identities > Cross-tenant access settings: allow inbound B2B collaboration by default, or add each partner organization with inbound B2B collaboration allowed"
	case !allUsers:
		res.Status, res.Detail = Warn, "the cross-tenant access default sets inbound B2B collaboration to "+access+" for specific external users and groups only; doctor cannot tell whether the partners' guests are among those allowed"
		res.Fix = "Entra admin center > External Identities > Cross-tenant access settings > Default settings: check the inbound B2B collaboration targets"
	default:
		res.Status, res.Detail = OK, "the cross-tenant access default allows inbound B2B collaboration (the invitation domain allow/deny list is not readable through Graph v1.0: check External collaboration settings > Collaboration restrictions by hand)"
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
	switch {
	case errors.Is(err, servicebus.ErrQueueNotFound):
		res.Status, res.Detail = Fail, err.Error()
		res.Fix = "deploy infra/main.bicep (it creates the queue from infra/queue.json) or set ONBOARDING_QUEUE to the queue's name"
		return res
	case queueReadDenied(err):
		res.Status, res.Detail = Warn, "cannot read the queue's properties: "+err.Error()
		res.Fix = "run doctor as an identity with the Manage right on the namespace (Azure Service Bus Data Owner) to check them"
		return res
	case err != nil:
		res.Status, res.Detail = Fail, "cannot read the queue: "+err.Error()
		res.Fix = "check ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection) and ONBOARDING_QUEUE, and that the namespace resolves from here"
		return res
	}
	var fails, warns []string
	if p.Status != "" && p.Status != "Active" {
		fails = append(fails, "the queue's status is "+p.Status)
	}
	if !p.DuplicateDetection {
		fails = append(fails, "duplicate detection is off: a resent event may onboard twice")
	} else if p.DuplicateWindow < c.DuplicateWindowAtLeast {
		warns = append(warns, fmt.Sprintf("duplicate detection window %s is shorter than RETRY_MAX_ELAPSED %s", p.DuplicateWindow, c.DuplicateWindowAtLeast))
	}
	if c.MaxDeliveryCount > 0 && p.MaxDeliveryCount != c.MaxDeliveryCount {
		warns = append(warns, fmt.Sprintf("max delivery count %d, infra/queue.json says %d", p.MaxDeliveryCount, c.MaxDeliveryCount))
	}
	if c.LockDuration > 0 && p.LockDuration != c.LockDuration {
		warns = append(warns, fmt.Sprintf("lock duration %s, infra/queue.json says %s", p.LockDuration, c.LockDuration))
	}
	switch {
	case len(fails) > 0:
		res.Status, res.Detail = Fail, strings.Join(append(fails, warns...), "; ")
		res.Fix = "recreate the queue from infra/queue.json (requiresDuplicateDetection cannot be changed on an existing queue); set its status to Active"
	case len(warns) > 0:
		res.Status, res.Detail = Warn, strings.Join(warns, "; ")
		res.Fix = "set the queue's properties to infra/queue.json's (redeploy infra/main.bicep); docs/deploy.md says why these numbers"
	default:
		res.Status, res.Detail = OK, fmt.Sprintf("duplicate detection %s, max delivery %d, lock %s", p.DuplicateWindow, p.MaxDeliveryCount, p.LockDuration)
	}
	return res
}

func (c Checker) queueAccess(ctx context.Context) Result {
	res := Result{Check: "service bus access"}
	var errs []string
	for _, try := range []func(context.Context) error{c.QueueAccess.CanSend, c.QueueAccess.CanReceive} {
		if err := try(ctx); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		res.Status, res.Detail = Fail, strings.Join(errs, "; ")
		res.Fix = "assign the app's identity Azure Service Bus Data Sender and Data Receiver on the namespace (main.bicep does) and check the namespace name"
		return res
	}
	res.Status, res.Detail = OK, "the identity can send (sender link attached, nothing sent) and receive (peeked, nothing taken)"
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

func (c Checker) apps(ctx context.Context) []Result {
	var out []Result
	for _, e := range c.Apps {
		sp, role, hasRole := strings.Cut(strings.TrimSpace(e), "/")
		if sp == "" || sp == "*" {
			continue
		}
		res := Result{Check: "app " + e}
		st, err := c.Tenant.ServicePrincipal(ctx, sp)
		var nf *workflow.NotFoundError
		enabled, known := st.AppRoles[strings.ToLower(role)]
		switch {
		case errors.As(err, &nf):
			res.Status, res.Detail, res.Fix = Fail, "service principal "+sp+" does not exist", "remove it from POLICY_ALLOWED_APPS or correct the id (the enterprise application's object id)"
		case err != nil:
			res.Status, res.Detail, res.Fix = Warn, "cannot read it: "+err.Error(), "grant the app Application.Read.All"
		case !st.AccountEnabled:
			res.Status, res.Detail = Fail, "service principal "+sp+" is disabled (accountEnabled=false): guests assigned to it cannot sign in to it"
			res.Fix = "Entra admin center > Enterprise applications > the app > Properties: 'Enabled for users to sign-in?' Yes, or remove it from POLICY_ALLOWED_APPS"
		case hasRole && role != "*" && !strings.EqualFold(role, workflow.DefaultAppRoleID) && !known:
			res.Status, res.Detail, res.Fix = Fail, "app role "+role+" does not exist on service principal "+sp, "correct the app role id in POLICY_ALLOWED_APPS (the app registration's App roles list them)"
		case hasRole && known && !enabled:
			res.Status, res.Detail = Fail, "app role "+role+" on service principal "+sp+" is disabled (isEnabled=false): it cannot be assigned"
			res.Fix = "enable the app role in the app registration's App roles, or remove it from POLICY_ALLOWED_APPS"
		default:
			res.Status, res.Detail = OK, "service principal exists and is enabled"
			if hasRole && role != "*" {
				res.Detail += "; app role exists and is enabled"
			}
		}
		out = append(out, res)
	}
	return out
}

// recentRecords is how far back the manager check looks, and maxManagers
// how many distinct manager ids it reads at most (the newest first).
const (
	recentRecords = 30 * 24 * time.Hour
	maxManagers   = 50
)

// managers checks that the manager ids named by onboardings updated in
// the last 30 days exist: a manager deleted since would fail every later
// reconcile of those onboardings.
func (c Checker) managers(ctx context.Context) Result {
	res := Result{Check: "manager ids"}
	recs, err := c.Records.List(ctx)
	if err != nil {
		res.Status, res.Detail, res.Fix = Warn, "cannot list the state store's records: "+err.Error(), "see the state table check"
		return res
	}
	since := time.Now().Add(-recentRecords)
	slices.SortFunc(recs, func(a, b workflow.Record) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	usedBy := map[string]string{}
	var ids []string
	for _, r := range recs {
		id := strings.ToLower(r.Spec.ManagerID)
		if id == "" || r.UpdatedAt.Before(since) || usedBy[id] != "" || len(ids) == maxManagers {
			continue
		}
		usedBy[id] = r.Key
		ids = append(ids, r.Spec.ManagerID)
	}
	var missing, unread []string
	for _, id := range ids {
		ok, err := c.Tenant.ObjectExists(ctx, workflow.ChangeManager, id)
		switch {
		case err != nil:
			unread = append(unread, id+": "+err.Error())
		case !ok:
			missing = append(missing, id+" (onboarding "+usedBy[strings.ToLower(id)]+")")
		}
	}
	switch {
	case len(missing) > 0:
		res.Status, res.Detail = Fail, "managers that do not exist: "+strings.Join(missing, ", ")
		res.Fix = "send a partner-approved event with a managerId that exists (or none) for those onboardings; procurement's manager ids must be Entra user object ids"
	case len(unread) > 0:
		res.Status, res.Detail, res.Fix = Warn, "cannot read: "+strings.Join(unread, "; "), "grant the app User.Read.All or User.ReadWrite.All"
	case len(ids) == 0:
		res.Status, res.Detail = OK, "no onboarding of the last 30 days names a manager"
	default:
		res.Status, res.Detail = OK, fmt.Sprintf("the %d manager ids of the last 30 days' onboardings exist", len(ids))
	}
	return res
}
