package deploytest

import (
	"fmt"
	"strings"
)

// The resource types of the outcome events.
const (
	TopicType        = "Microsoft.ServiceBus/namespaces/topics"
	SubscriptionType = "Microsoft.ServiceBus/namespaces/topics/subscriptions"
	RoleAssignType   = "Microsoft.Authorization/roleAssignments"
)

// OutcomesSubscription is the subscription procurement reads outcome
// events from (README, "Listening for outcomes").
const OutcomesSubscription = "procurement"

// outcomesTopic: the topic resource is the one OUTCOMES_TOPIC names, with
// duplicate detection on (outcomes are published under deterministic
// MessageIds and may be published twice), a `procurement` subscription,
// and Data Sender for the app granted on the topic itself.
func (c *checker) outcomesTopic(f BicepFile) {
	ts := f.ResourcesOfType(TopicType)
	if len(ts) != 1 {
		c.add(MainBicepPath, TopicType, "want exactly one topic resource (OUTCOMES_TOPIC), found %d", len(ts))
		return
	}
	t := ts[0]
	nameExpr, _ := PropValue(t.Body, "name")
	if got := strings.TrimSpace(c.bicepSettings["OUTCOMES_TOPIC"]); got != t.Symbol+".name" && got != nameExpr {
		c.add(MainBicepPath, "OUTCOMES_TOPIC", "app setting is %q but the topic resource is %s (name %s)", got, t.Symbol, nameExpr)
	}
	props, _ := PropValue(t.Body, "properties")
	if v, _ := PropValue(props, "requiresDuplicateDetection"); v != "true" {
		c.add(MainBicepPath, "OUTCOMES_TOPIC", "the topic must set requiresDuplicateDetection: true (outcomes may be published twice under the same MessageId), got %q", v)
	}
	found := false
	for _, s := range f.ResourcesOfType(SubscriptionType) {
		parent, _ := PropValue(s.Body, "parent")
		name, _ := PropValue(s.Body, "name")
		if v, ok := f.Resolve(name); parent == t.Symbol && ok && v == OutcomesSubscription {
			found = true
		}
	}
	if !found {
		c.add(MainBicepPath, "OUTCOMES_TOPIC", "no subscription %q on topic %s", OutcomesSubscription, t.Symbol)
	}
	granted := false
	for _, r := range f.ResourcesOfType(RoleAssignType) {
		scope, _ := PropValue(r.Body, "scope")
		if scope == t.Symbol && strings.Contains(r.Body, "serviceBusDataSender") {
			granted = true
		}
	}
	if !granted {
		c.add(MainBicepPath, "OUTCOMES_TOPIC", "%s", fmt.Sprintf("no role assignment of Data Sender (roles.serviceBusDataSender) with scope: %s: the app must be able to publish to the topic", t.Symbol))
	}
}
