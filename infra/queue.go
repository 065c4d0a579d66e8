// Package infra holds what the deployment templates and the Go code share:
// the properties of the onboarding queue, in queue.json. infra/main.bicep
// loads that file (loadJsonContent) for the Service Bus queue it creates,
// and `onboard dev` gives the same values to its embedded queue, so a
// local run meets the deployed queue's duplicate-detection window, lock
// duration, delivery count and message TTL. Change them in queue.json;
// deploytest checks that main.bicep takes each from there. Why these
// numbers: docs/deploy.md, "The queue, and why these numbers".
package infra

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// QueueFile is queue.json's path relative to the module root.
const QueueFile = "infra/queue.json"

//go:embed queue.json
var queueJSON []byte

// QueueProperties are the queue's properties, under their names in the
// ARM resource Microsoft.ServiceBus/namespaces/queues.
type QueueProperties struct {
	LockDuration                        time.Duration
	MaxDeliveryCount                    int
	RequiresDuplicateDetection          bool
	DuplicateDetectionHistoryTimeWindow time.Duration
	DefaultMessageTimeToLive            time.Duration
	DeadLetteringOnMessageExpiration    bool
}

// QueuePropertyNames lists the keys of queue.json, each the name of the
// queue property main.bicep must set from it.
var QueuePropertyNames = []string{
	"lockDuration", "maxDeliveryCount", "requiresDuplicateDetection",
	"duplicateDetectionHistoryTimeWindow", "defaultMessageTimeToLive", "deadLetteringOnMessageExpiration",
}

// Queue returns the properties in the embedded queue.json.
func Queue() (QueueProperties, error) { return ParseQueue(queueJSON) }

// ParseQueue reads queue.json text: every key of QueuePropertyNames, no
// other, each within the range Service Bus accepts. Errors name the key.
func ParseQueue(data []byte) (QueueProperties, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return QueueProperties{}, fmt.Errorf("%s: not a JSON object: %w", QueueFile, err)
	}
	for k := range raw {
		if !slices.Contains(QueuePropertyNames, k) {
			return QueueProperties{}, fmt.Errorf("%s: %s: not a queue property this file sets (%s)", QueueFile, k, strings.Join(QueuePropertyNames, ", "))
		}
	}
	var p QueueProperties
	var errs []string
	bad := func(key, rule string, args ...any) { errs = append(errs, key+": "+fmt.Sprintf(rule, args...)) }
	dur := func(key string, lo, hi time.Duration) time.Duration {
		var s string
		if err := json.Unmarshal(raw[key], &s); err != nil {
			bad(key, "must be an ISO 8601 duration string like \"PT5M\"")
			return 0
		}
		d, err := ParseISODuration(s)
		switch {
		case err != nil:
			bad(key, "%v", err)
		case d < lo || d > hi:
			bad(key, "%s is outside the Service Bus range %s..%s", s, lo, hi)
		}
		return d
	}
	flag := func(key string) bool {
		var b bool
		if err := json.Unmarshal(raw[key], &b); err != nil {
			bad(key, "must be true or false")
		}
		return b
	}
	for _, k := range QueuePropertyNames {
		if _, ok := raw[k]; !ok {
			bad(k, "missing")
		}
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%s: %s", QueueFile, strings.Join(errs, "; "))
	}
	p.LockDuration = dur("lockDuration", 5*time.Second, 5*time.Minute)
	p.DuplicateDetectionHistoryTimeWindow = dur("duplicateDetectionHistoryTimeWindow", 20*time.Second, 7*24*time.Hour)
	p.DefaultMessageTimeToLive = dur("defaultMessageTimeToLive", time.Second, math.MaxInt64)
	p.RequiresDuplicateDetection = flag("requiresDuplicateDetection")
	p.DeadLetteringOnMessageExpiration = flag("deadLetteringOnMessageExpiration")
	if err := json.Unmarshal(raw["maxDeliveryCount"], &p.MaxDeliveryCount); err != nil || p.MaxDeliveryCount < 1 {
		bad("maxDeliveryCount", "must be an integer of at least 1")
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("%s: %s", QueueFile, strings.Join(errs, "; "))
	}
	return p, nil
}

var isoDuration = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)
})

// ParseISODuration parses the ISO 8601 durations Azure uses for Service Bus
// (PnD, PTnHnMnS, PnDTnH…, PnW).
func ParseISODuration(s string) (time.Duration, error) {
	m := isoDuration().FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("not an ISO 8601 duration like PT1H or P2D: %q", s)
	}
	var d time.Duration
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute}
	for i, u := range units {
		if m[i+1] != "" {
			n, err := strconv.Atoi(m[i+1])
			if err != nil {
				return 0, err
			}
			d += time.Duration(n) * u
		}
	}
	if m[5] != "" {
		sec, err := strconv.ParseFloat(m[5], 64)
		if err != nil {
			return 0, err
		}
		d += time.Duration(sec * float64(time.Second))
	}
	return d, nil
}
