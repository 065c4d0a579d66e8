package workflow

import "context"

// Dispatch routes a delivery to the reconcile for its event type (after
// TypeAliases) and returns the reconcile's outcome as it is: no failure
// log, no retry, no panic recovery. Handle wraps it in those (Handler).
// An event is checked first (CheckEvent's rules); its error lists every
// problem, and that is the reason the failure log records.
func (e *Engine) Dispatch(ctx context.Context, d Delivery) (Result, error) {
	switch eventType(d.Event.Type, e.Config) {
	case TypePartnerApproved:
		spec, err := e.Policy.checkPartnerApproved(d.Event, e.Config.DefaultRedirectURL)
		if err != nil {
			return Result{Key: spec.Email}, err
		}
		return e.partnerApproved(ctx, spec)
	case TypeReminderDue:
		r, err := e.Policy.checkReminderDue(d.Event)
		if err != nil {
			return Result{}, err
		}
		return e.reminderDue(ctx, r)
	}
	return Result{}, unsupportedType(d.Event.Type)
}
