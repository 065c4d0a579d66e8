package workflow

import (
	"context"
	"fmt"
)

// Dispatch routes a delivery to the reconcile for its event type (after
// TypeAliases) and returns the reconcile's outcome as it is: no failure
// log, no retry, no panic recovery. Handle wraps it in those (Handler).
func (e *Engine) Dispatch(ctx context.Context, d Delivery) (Result, error) {
	typ := d.Event.Type
	if t, ok := e.Config.TypeAliases[typ]; ok {
		typ = t
	}
	switch typ {
	case TypePartnerApproved:
		if err := e.Policy.CheckSource(d.Event.Source); err != nil {
			return Result{}, err
		}
		spec, err := ParsePartnerApproved(d.Event.Data, e.Config.DefaultRedirectURL)
		if err != nil {
			return Result{}, err
		}
		if err := e.Policy.Check(spec); err != nil {
			return Result{Key: spec.Email}, err
		}
		return e.partnerApproved(ctx, spec)
	case TypeReminderDue:
		if d.Event.Source != Source {
			if err := e.Policy.CheckSource(d.Event.Source); err != nil {
				return Result{}, err
			}
		}
		var r ReminderData
		if err := decodeStrict(d.Event.Data, &r); err != nil {
			return Result{}, err
		}
		if r.Key == "" || r.Number < 1 {
			return Result{}, &ValidationError{Field: "key/number", Rule: "a reminder-due event needs key and a number ≥ 1"}
		}
		return e.reminderDue(ctx, r)
	}
	return Result{}, &ValidationError{Field: "type", Rule: fmt.Sprintf("unsupported event type %q (expected %s or %s)", d.Event.Type, TypePartnerApproved, TypeReminderDue)}
}
