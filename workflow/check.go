package workflow

import "fmt"

// CheckEvent applies, without touching the store or Graph, every rule an
// event must pass before it is reconciled: a supported type (after
// c.TypeAliases), an allowed source, data of the right shape and, for a
// partner-approved event, the policy for what it asks. Every problem is
// reported at once (an ErrorList), each naming the field and the rule.
// Dispatch applies the same checks; `onboard validate` and `onboard send`
// use it to find mistakes before a message is queued.
func CheckEvent(ev Event, p Policy, c Config) error {
	switch eventType(ev.Type, c) {
	case TypePartnerApproved:
		_, err := p.checkPartnerApproved(ev, c.DefaultRedirectURL)
		return err
	case TypeReminderDue:
		_, err := p.checkReminderDue(ev)
		return err
	}
	return unsupportedType(ev.Type)
}

// eventType is typ after the configured aliases.
func eventType(typ string, c Config) string {
	if t, ok := c.TypeAliases[typ]; ok {
		return t
	}
	return typ
}

func unsupportedType(typ string) error {
	return &ValidationError{Field: "type", Rule: fmt.Sprintf("unsupported event type %q (expected %s or %s)", typ, TypePartnerApproved, TypeReminderDue)}
}

// checkPartnerApproved checks the source, the data and the policy of a
// partner-approved event and returns every problem, not the first: a
// refused source does not hide an invalid field, nor a policy violation
// another. The policy is applied only to data that parsed. An event from
// a source we do not accept names no onboarding: its spec has no Email.
func (p Policy) checkPartnerApproved(ev Event, defaultRedirect string) (spec Spec, err error) {
	var errs []error
	serr := p.CheckSource(ev.Source)
	if serr != nil {
		errs = append(errs, serr)
	}
	spec, err = ParsePartnerApproved(ev.Data, defaultRedirect)
	if err != nil {
		return Spec{}, JoinErrors(append(errs, err)...)
	}
	if err := p.Check(spec); err != nil {
		errs = append(errs, err)
	}
	if serr != nil {
		spec.Email = ""
	}
	return spec, JoinErrors(errs...)
}

// checkReminderDue checks the source (the workflow's own, or an allowed
// one) and the data of a reminder-due event.
func (p Policy) checkReminderDue(ev Event) (ReminderData, error) {
	var errs []error
	if ev.Source != Source {
		if err := p.CheckSource(ev.Source); err != nil {
			errs = append(errs, err)
		}
	}
	var r ReminderData
	if err := decodeStrict(ev.Data, &r); err != nil {
		return r, JoinErrors(append(errs, err)...)
	}
	if r.Key == "" || r.Number < 1 {
		errs = append(errs, &ValidationError{Field: "key/number", Rule: "a reminder-due event needs key and a number ≥ 1"})
	}
	return r, JoinErrors(errs...)
}
