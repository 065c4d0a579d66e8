package localqueue

import (
	"log/slog"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/infra"
)

// QueueOptions gives the local queue the properties of the deployed queue
// (infra/queue.json, which main.bicep uses), with maxDelivery and lock as
// given (dev's --max-delivery-count and --lock-duration; the deployed
// values elsewhere).
func QueueOptions(p infra.QueueProperties, maxDelivery int, lock time.Duration, logger *slog.Logger) devhost.QueueOptions {
	window := p.DuplicateDetectionHistoryTimeWindow
	if !p.RequiresDuplicateDetection {
		window = -1
	}
	return devhost.QueueOptions{
		MaxDeliveryCount:         maxDelivery,
		LockDuration:             lock,
		DuplicateDetectionWindow: window,
		DefaultTTL:               p.DefaultMessageTimeToLive,
		DiscardExpired:           !p.DeadLetteringOnMessageExpiration,
		Logger:                   logger,
	}
}
