package deploytest

import (
	"regexp"
	"strings"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/infra"
)

// maxDeliveryCountLimit bounds maxDeliveryCount: a permanent failure is
// retried that often before it reaches the dead-letter queue and its alert.
const maxDeliveryCountLimit = 100

var reLoadQueueJSON = regexp.MustCompile(`^loadJsonContent\(\s*'queue\.json'\s*\)$`)

// queue: the queue resource is the one ONBOARDING_QUEUE names, and takes
// each property of infra/queue.json from that file (so the deployed queue
// and `onboard dev`'s agree), whose values suit the workflow: duplicate
// detection over a window that covers the retry span, dead lettering on
// expiry, a bounded delivery count.
func (c *checker) queue(f BicepFile, queueJSON []byte) {
	qs := f.ResourcesOfType(QueueType)
	if len(qs) != 1 {
		c.add(MainBicepPath, QueueType, "want exactly one queue resource, found %d", len(qs))
		return
	}
	q := qs[0]
	nameExpr, _ := PropValue(q.Body, "name")
	if got := c.bicepSettings["ONBOARDING_QUEUE"]; got != "" && strings.TrimSpace(got) != nameExpr {
		c.add(MainBicepPath, "ONBOARDING_QUEUE", "app setting is %s but the queue resource is named %s", got, nameExpr)
	}
	c.queueName, _ = f.Resolve(nameExpr)

	shared := ""
	for name, expr := range f.Vars {
		if reLoadQueueJSON.MatchString(expr) {
			shared = name
		}
	}
	if shared == "" {
		c.add(MainBicepPath, QueueJSONPath, "no `var … = loadJsonContent('queue.json')`: the queue must take its properties from %s, which onboard dev uses too", QueueJSONPath)
	} else {
		props, _ := PropValue(q.Body, "properties")
		for _, key := range infra.QueuePropertyNames {
			want := shared + "." + key
			if got, _ := PropValue(props, key); got != want {
				c.add(MainBicepPath, key, "the queue must set it to %s (the value onboard dev uses, from %s), got %q", want, QueueJSONPath, got)
			}
		}
	}

	p, err := infra.ParseQueue(queueJSON)
	if err != nil {
		c.add(QueueJSONPath, "", "%v", err)
		return
	}
	if !p.RequiresDuplicateDetection {
		c.add(QueueJSONPath, "requiresDuplicateDetection", "the queue must detect duplicates: reminders and retries rely on deterministic MessageIds")
	}
	if !p.DeadLetteringOnMessageExpiration {
		c.add(QueueJSONPath, "deadLetteringOnMessageExpiration", "must be true so expired messages reach the dead-letter queue and its alert")
	}
	if p.MaxDeliveryCount > maxDeliveryCountLimit {
		c.add(QueueJSONPath, "maxDeliveryCount", "must be 1..%d (permanent failures are dead-lettered after it), got %d", maxDeliveryCountLimit, p.MaxDeliveryCount)
	}
	retry, _ := config.Lookup("RETRY_MAX_ELAPSED")
	span, err := config.ParseDuration(retry.Default)
	switch {
	case err != nil:
		c.add("config.Settings", "RETRY_MAX_ELAPSED", "default %q: %v", retry.Default, err)
	case p.DuplicateDetectionHistoryTimeWindow <= span:
		c.add(QueueJSONPath, "duplicateDetectionHistoryTimeWindow", "%s must exceed RETRY_MAX_ELAPSED (%s): a retried step re-sends the same MessageId up to that long after the first send",
			p.DuplicateDetectionHistoryTimeWindow, retry.Default)
	}
}

// hostJSON: the Service Bus extension renews a message's lock at least as
// long as an invocation may run (maxAutoLockRenewalDuration >=
// functionTimeout); otherwise a long invocation loses its lock and the
// message is delivered again while the first invocation still runs. JSON
// has no comments, so the reason is in docs/deploy.md ("host.json").
func (c *checker) hostJSON(raw []byte) {
	hc, err := devhost.ParseHostConfig(HostJSONPath, raw)
	if err != nil {
		c.add(HostJSONPath, "", "%v", err)
		return
	}
	const renewal = "extensions.serviceBus.maxAutoLockRenewalDuration"
	switch {
	case hc.FunctionTimeout == 0:
		c.add(HostJSONPath, "functionTimeout", "must be bounded (not -1): no lock renewal can cover an unbounded invocation")
	case hc.MaxAutoLockRenewalDuration < hc.FunctionTimeout:
		c.add(HostJSONPath, renewal, "%s is shorter than functionTimeout %s: an invocation running longer loses its lock and the message is delivered again while it still runs (docs/deploy.md, host.json)",
			hc.MaxAutoLockRenewalDuration, hc.FunctionTimeout)
	}
}
