package workflow

import (
	"context"
	"fmt"
)

// GroupKind says whether a group can take direct members and, if not, why
// (graph-b2b.md §18). The zero value is a group that takes members.
type GroupKind string

// The kinds of group whose members cannot be written through Graph.
const (
	GroupAssigned    GroupKind = ""                   // assigned membership, cloud-managed: takes members
	GroupDynamic     GroupKind = "dynamic"            // groupTypes contains DynamicMembership
	GroupOnPremises  GroupKind = "on-premises synced" // onPremisesSyncEnabled true
	GroupMailEnabled GroupKind = "mail-enabled"       // mail-enabled security group or distribution list
)

// TakesMembers reports whether members can be added to the group directly.
func (k GroupKind) TakesMembers() bool { return k == GroupAssigned }

// Explain is the reason a group of this kind cannot take members, naming
// the group, its kind and what to do; "" for a group that takes members.
func (k GroupKind) Explain(groupID string) string {
	switch k {
	case GroupDynamic:
		return fmt.Sprintf("group %s has dynamic membership: its members come from its membership rule and cannot be added directly; remove it from the policy or target the rule", groupID)
	case GroupOnPremises:
		return fmt.Sprintf("group %s is synced from on-premises AD: its membership is managed there and cannot be changed through Graph; remove it from the policy", groupID)
	case GroupMailEnabled:
		return fmt.Sprintf("group %s is mail-enabled and not a Microsoft 365 group (mail-enabled security group or distribution list): members are managed in Exchange Online; remove it from the policy", groupID)
	}
	return ""
}

// GroupInspector is implemented by a Directory that can read a group's
// kind before writing members (graph.Directory, which reads each group
// once and caches the answer). The workflow uses it, when present, so a
// group that cannot take members is a permanent failure naming the group
// and its kind instead of a generic 400 or a retry.
type GroupInspector interface {
	GroupKind(ctx context.Context, groupID string) (GroupKind, error)
}

// refuseUntakeable splits off the group changes whose group cannot take
// direct members, as failed Missing entries. A group that cannot be read
// is left to Apply, which judges its answer as usual.
func (e *Engine) refuseUntakeable(ctx context.Context, todo []Change) (keep []Change, failed []Missing) {
	gi, ok := e.Directory.(GroupInspector)
	if !ok {
		return todo, nil
	}
	for _, c := range todo {
		if c.Kind == ChangeGroup {
			if k, err := gi.GroupKind(ctx, c.ID); err == nil && !k.TakesMembers() {
				failed = append(failed, Missing{Change: c.Key(), State: MissingFailed, Reason: k.Explain(c.ID)})
				continue
			}
		}
		keep = append(keep, c)
	}
	return keep, failed
}
