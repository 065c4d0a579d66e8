package localqueue

import (
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/infra"
)

// TestQueueHasTheDeployedQueueProperties: the local queue takes every
// property of infra/queue.json (which main.bicep deploys); delivery count
// and lock duration are the caller's.
func TestQueueHasTheDeployedQueueProperties(t *testing.T) {
	p, err := infra.Queue()
	if err != nil {
		t.Fatal(err)
	}
	got := QueueOptions(p, p.MaxDeliveryCount, p.LockDuration, nil)
	want := devhost.QueueOptions{MaxDeliveryCount: 10, LockDuration: 5 * time.Minute,
		DuplicateDetectionWindow: 48 * time.Hour, DefaultTTL: 14 * 24 * time.Hour}
	if got.MaxDeliveryCount != want.MaxDeliveryCount || got.LockDuration != want.LockDuration ||
		got.DuplicateDetectionWindow != want.DuplicateDetectionWindow || got.DefaultTTL != want.DefaultTTL || got.DiscardExpired {
		t.Fatalf("queue options = %+v, want %+v", got, want)
	}
	if o := QueueOptions(p, 3, 2*time.Second, nil); o.MaxDeliveryCount != 3 || o.LockDuration != 2*time.Second || o.DefaultTTL != p.DefaultMessageTimeToLive {
		t.Fatalf("with overrides: %+v", o)
	}
	off := p
	off.RequiresDuplicateDetection, off.DeadLetteringOnMessageExpiration = false, false
	if o := QueueOptions(off, 1, time.Second, nil); o.DuplicateDetectionWindow >= 0 || !o.DiscardExpired {
		t.Fatalf("duplicate detection and dead-lettering on expiry off: %+v", o)
	}
}
