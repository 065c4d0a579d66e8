package servicebus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// ErrDeadLetterNotFound: no dead letter with the requested message id.
var ErrDeadLetterNotFound = errors.New("no dead letter with that message id")

// Application properties Service Bus sets on a dead-lettered message; they
// are shown as DeadLetter fields and not copied by Replay.
const (
	propDeadLetterReason      = "DeadLetterReason"
	propDeadLetterDescription = "DeadLetterErrorDescription"
)

// DeadLetter is one message of the queue's dead-letter sub-queue, as ops
// sees it in `onboard dlq list|show`.
type DeadLetter struct {
	MessageID                  string
	SequenceNumber             int64
	EnqueuedTime               time.Time
	DeliveryCount              int
	DeadLetterReason           string // e.g. MaxDeliveryCountExceeded
	DeadLetterErrorDescription string
	ContentType                string
	Subject                    string
	Body                       []byte
	// ApplicationProperties without the two dead-letter properties above.
	ApplicationProperties map[string]any
}

// DeadLetterOptions tune DeadLetters; zero values take the defaults.
type DeadLetterOptions struct {
	// ReceiveWait is how long Replay and Purge wait for another message
	// before concluding the dead-letter queue holds no more (default 5s).
	ReceiveWait time.Duration
	// ScanLimit is the most dead letters Replay locks while looking for the
	// one to replay (default 1000).
	ScanLimit int
	// Clock stamps replayed message ids (default: the system clock).
	Clock workflow.Clock
	// Log receives one record per replay and purge (default: discard).
	Log *slog.Logger
}

// receiver is the part of *azservicebus.Receiver DeadLetters uses.
type receiver interface {
	PeekMessages(ctx context.Context, maxMessageCount int, options *azservicebus.PeekMessagesOptions) ([]*azservicebus.ReceivedMessage, error)
	ReceiveMessages(ctx context.Context, maxMessages int, options *azservicebus.ReceiveMessagesOptions) ([]*azservicebus.ReceivedMessage, error)
	CompleteMessage(ctx context.Context, message *azservicebus.ReceivedMessage, options *azservicebus.CompleteMessageOptions) error
	AbandonMessage(ctx context.Context, message *azservicebus.ReceivedMessage, options *azservicebus.AbandonMessageOptions) error
	Close(ctx context.Context) error
}

// sender is the part of *azservicebus.Sender DeadLetters uses.
type sender interface {
	MessageSender
	Close(ctx context.Context) error
}

// DeadLetters operates on one queue of a real namespace for the ops
// commands: List, Show, Replay and Purge work on its dead-letter sub-queue
// (<queue>/$deadletterqueue), Send puts a new message on the queue itself
// (`onboard send`, and Replay's resubmission). Each call opens and closes
// its own links; the caller owns and closes the client.
type DeadLetters struct {
	queue        string
	openReceiver func(mode azservicebus.ReceiveMode) (receiver, error)
	openSender   func() (sender, error)
	opts         DeadLetterOptions
}

// NewDeadLetters returns the operations for queue through client (see
// NewClient). opts may be nil.
func NewDeadLetters(client *azservicebus.Client, queue string, opts *DeadLetterOptions) *DeadLetters {
	return newDeadLetters(queue,
		func(mode azservicebus.ReceiveMode) (receiver, error) {
			return client.NewReceiverForQueue(queue, &azservicebus.ReceiverOptions{
				ReceiveMode: mode,
				SubQueue:    azservicebus.SubQueueDeadLetter,
			})
		},
		func() (sender, error) { return client.NewSender(queue, nil) },
		opts)
}

func newDeadLetters(queue string, openReceiver func(azservicebus.ReceiveMode) (receiver, error), openSender func() (sender, error), opts *DeadLetterOptions) *DeadLetters {
	o := DeadLetterOptions{}
	if opts != nil {
		o = *opts
	}
	if o.ReceiveWait <= 0 {
		o.ReceiveWait = 5 * time.Second
	}
	if o.ScanLimit <= 0 {
		o.ScanLimit = 1000
	}
	if o.Clock == nil {
		o.Clock = workflow.SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &DeadLetters{queue: queue, openReceiver: openReceiver, openSender: openSender, opts: o}
}

// peekPage is how many messages one PeekMessages call asks for.
const peekPage = 100

// List returns up to max dead letters (all when max <= 0), oldest first,
// without locking or removing them (PeekMessages).
func (d *DeadLetters) List(ctx context.Context, max int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := d.peekAll(ctx, func(m *azservicebus.ReceivedMessage) bool {
		out = append(out, toDeadLetter(m))
		return max <= 0 || len(out) < max
	})
	return out, err
}

// Show returns the first dead letter whose MessageId is messageID, or an
// error wrapping ErrDeadLetterNotFound. It peeks, so nothing is locked.
func (d *DeadLetters) Show(ctx context.Context, messageID string) (DeadLetter, error) {
	var found *DeadLetter
	err := d.peekAll(ctx, func(m *azservicebus.ReceivedMessage) bool {
		if m.MessageID == messageID {
			dl := toDeadLetter(m)
			found = &dl
			return false
		}
		return true
	})
	if err != nil {
		return DeadLetter{}, err
	}
	if found == nil {
		return DeadLetter{}, fmt.Errorf("dead letter %q in queue %s: %w", messageID, d.queue, ErrDeadLetterNotFound)
	}
	return *found, nil
}

// peekAll peeks through the dead-letter queue in pages, calling visit for
// each message until visit returns false or the queue has no more.
func (d *DeadLetters) peekAll(ctx context.Context, visit func(*azservicebus.ReceivedMessage) bool) error {
	r, err := d.openReceiver(azservicebus.ReceiveModePeekLock)
	if err != nil {
		return classify("open dead-letter receiver for "+d.queue, err)
	}
	defer r.Close(context.WithoutCancel(ctx))
	for {
		page, err := r.PeekMessages(ctx, peekPage, nil)
		if err != nil {
			return classify("peek dead letters of "+d.queue, err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, m := range page {
			if !visit(m) {
				return nil
			}
		}
	}
}

// Replay resubmits the dead letter with MessageId messageID to the queue
// with a fresh MessageId "<messageID>/replay/<unix nanoseconds>" (so
// duplicate detection does not drop it) and the same body, content type,
// subject and application properties (minus DeadLetterReason and
// DeadLetterErrorDescription), then completes the dead letter.
//
// Service Bus cannot receive one chosen message, so Replay receives from
// the dead-letter queue in peek-lock mode until it meets the message,
// holding the others' locks, and abandons those at the end (which raises
// their DeliveryCount by one; dead letters are never dead-lettered again).
// It looks at most ScanLimit messages. When several dead letters share the
// id, the oldest is replayed. If the copy was sent but completing the dead
// letter failed, the new id is returned together with the error: the
// partner is onboarded once anyway (the workflow is idempotent), and the
// leftover dead letter can be purged.
func (d *DeadLetters) Replay(ctx context.Context, messageID string) (newMessageID string, err error) {
	// Fail fast, without locking anything, when it is not there at all.
	if _, err := d.Show(ctx, messageID); err != nil {
		return "", err
	}
	r, err := d.openReceiver(azservicebus.ReceiveModePeekLock)
	if err != nil {
		return "", classify("open dead-letter receiver for "+d.queue, err)
	}
	defer r.Close(context.WithoutCancel(ctx))

	var held []*azservicebus.ReceivedMessage
	// Abandon what we hold on every path, even when ctx has ended.
	defer func() {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, m := range held {
			if aerr := r.AbandonMessage(actx, m, nil); aerr != nil {
				d.opts.Log.WarnContext(ctx, "could not abandon dead letter; its lock will expire",
					slog.String(logkey.MessageID, workflow.MaskEmails(m.MessageID)), slog.Any(logkey.Error, aerr))
			}
		}
	}()

	var target *azservicebus.ReceivedMessage
	scanned := 0
	for target == nil && scanned < d.opts.ScanLimit {
		batch, drained, err := d.receiveBatch(ctx, r, min(50, d.opts.ScanLimit-scanned))
		if err != nil {
			return "", classify("receive dead letters of "+d.queue, err)
		}
		for _, m := range batch {
			scanned++
			if target == nil && m.MessageID == messageID {
				target = m
				continue
			}
			held = append(held, m)
		}
		if drained {
			break
		}
	}
	if target == nil {
		// Peeked a moment ago but not received: someone else holds or
		// removed it, or it lies beyond the scan limit.
		return "", fmt.Errorf("dead letter %q in queue %s: not received among %d dead letters (locked by another receiver, already replayed, or beyond the scan limit): %w",
			messageID, d.queue, scanned, ErrDeadLetterNotFound)
	}

	newID := ReplayMessageID(messageID, d.opts.Clock.Now())
	if err := d.send(ctx, ReplayMessage(target, newID)); err != nil {
		held = append(held, target)
		return "", err
	}
	if err := r.CompleteMessage(ctx, target, nil); err != nil {
		return newID, fmt.Errorf("replayed %q as %q, but the dead letter was not removed (purge or ignore it): %w",
			messageID, newID, classify("complete dead letter", err))
	}
	d.opts.Log.InfoContext(ctx, "dead letter replayed",
		slog.String(logkey.Queue, d.queue),
		slog.String(logkey.MessageID, workflow.MaskEmails(messageID)),
		slog.String(logkey.NewMessageID, workflow.MaskEmails(newID)),
		slog.Int(logkey.Scanned, scanned))
	return newID, nil
}

// receiveBatch receives up to n messages, waiting at most ReceiveWait for
// the first; drained reports that none came in that time.
func (d *DeadLetters) receiveBatch(ctx context.Context, r receiver, n int) (batch []*azservicebus.ReceivedMessage, drained bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, d.opts.ReceiveWait)
	defer cancel()
	batch, err = r.ReceiveMessages(wctx, n, nil)
	if len(batch) > 0 {
		return batch, false, nil
	}
	if err == nil || (errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
		return nil, true, nil
	}
	return nil, false, err
}

// ReplayMessageID is the MessageId of a replayed copy:
// "<old>/replay/<unix nanoseconds>", with old shortened from the left end
// kept when needed to stay within MaxMessageIDLength.
func ReplayMessageID(old string, now time.Time) string {
	suffix := "/replay/" + strconv.FormatInt(now.UnixNano(), 10)
	if keep := MaxMessageIDLength - len(suffix); len(old) > keep {
		old = old[:keep]
	}
	return old + suffix
}

// ReplayMessage builds the resubmitted copy of a dead letter: new id, same
// body, content type, subject, correlation, session and routing fields and
// application properties, without the dead-letter properties, the
// schedule or the time-to-live of the original.
func ReplayMessage(dl *azservicebus.ReceivedMessage, newID string) *azservicebus.Message {
	var props map[string]any
	if len(dl.ApplicationProperties) > 0 {
		props = maps.Clone(dl.ApplicationProperties)
		delete(props, propDeadLetterReason)
		delete(props, propDeadLetterDescription)
		if len(props) == 0 {
			props = nil
		}
	}
	return &azservicebus.Message{
		MessageID:             &newID,
		Body:                  dl.Body,
		ContentType:           dl.ContentType,
		Subject:               dl.Subject,
		CorrelationID:         dl.CorrelationID,
		SessionID:             dl.SessionID,
		PartitionKey:          dl.PartitionKey,
		ReplyTo:               dl.ReplyTo,
		ReplyToSessionID:      dl.ReplyToSessionID,
		To:                    dl.To,
		ApplicationProperties: props,
	}
}

// Purge removes every dead letter of the queue and returns how many it
// removed. It receives in peek-lock mode and completes each message (so a
// failure part-way loses nothing unaccounted), stopping when no message
// arrives within ReceiveWait. On error the count so far is returned too.
func (d *DeadLetters) Purge(ctx context.Context) (int, error) {
	r, err := d.openReceiver(azservicebus.ReceiveModePeekLock)
	if err != nil {
		return 0, classify("open dead-letter receiver for "+d.queue, err)
	}
	defer r.Close(context.WithoutCancel(ctx))
	purged := 0
	for {
		batch, drained, err := d.receiveBatch(ctx, r, 100)
		if err != nil {
			return purged, classify("receive dead letters of "+d.queue, err)
		}
		for _, m := range batch {
			if err := r.CompleteMessage(ctx, m, nil); err != nil {
				return purged, classify("complete dead letter "+m.MessageID, err)
			}
			purged++
		}
		if drained {
			d.opts.Log.InfoContext(ctx, "dead letters purged", slog.String(logkey.Queue, d.queue), slog.Int(logkey.Count, purged))
			return purged, nil
		}
	}
}

// Send puts one message on the queue (not the dead-letter queue): body
// with contentType (for example Encode's output, or a binary-mode
// CloudEvent's data with cloudEvents_* properties), MessageId messageID
// (required: duplicate detection keys on it) and application properties.
func (d *DeadLetters) Send(ctx context.Context, body []byte, contentType, messageID string, props map[string]any) error {
	if err := checkMessageID(messageID); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	m := &azservicebus.Message{MessageID: &messageID, Body: body, ApplicationProperties: props}
	if contentType != "" {
		m.ContentType = &contentType
	}
	return d.send(ctx, m)
}

// send opens a sender on the queue, sends m and closes the sender.
func (d *DeadLetters) send(ctx context.Context, m *azservicebus.Message) error {
	s, err := d.openSender()
	if err != nil {
		return classify("open sender for "+d.queue, err)
	}
	defer s.Close(context.WithoutCancel(ctx))
	if err := s.SendMessage(ctx, m, nil); err != nil {
		return classify("send "+*m.MessageID+" to "+d.queue, err)
	}
	return nil
}

// toDeadLetter converts what the SDK returned.
func toDeadLetter(m *azservicebus.ReceivedMessage) DeadLetter {
	dl := DeadLetter{
		MessageID:                  m.MessageID,
		SequenceNumber:             deref(m.SequenceNumber),
		EnqueuedTime:               deref(m.EnqueuedTime),
		DeliveryCount:              int(m.DeliveryCount),
		DeadLetterReason:           deref(m.DeadLetterReason),
		DeadLetterErrorDescription: deref(m.DeadLetterErrorDescription),
		ContentType:                deref(m.ContentType),
		Subject:                    deref(m.Subject),
		Body:                       m.Body,
	}
	for k, v := range m.ApplicationProperties {
		if k == propDeadLetterReason || k == propDeadLetterDescription {
			continue
		}
		if dl.ApplicationProperties == nil {
			dl.ApplicationProperties = map[string]any{}
		}
		dl.ApplicationProperties[k] = v
	}
	return dl
}

// deref is *p, or the zero value when the SDK left the field nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
