package devrun

import "github.com/b2b-onboarding/onboard/config"

// EventSettings are the settings an event sent to `onboard dev` is judged
// by, for `onboard validate` and `onboard send` (which check an event
// before it is queued): the user's settings over dev's defaults with the
// embedded graphsim, as `onboard dev` without --graph-url layers them.
// Listener addresses are placeholders: they judge nothing.
func EventSettings(user config.Getenv) config.Getenv {
	o, _ := DefaultOptions()
	return devSettings(devRuntime{GraphURL: "http://127.0.0.1:0/v1.0", Graphsim: true, HandlerPort: "7071",
		ReminderSchedule: o.ReminderSchedule, ExpireAfter: o.ExpireAfter}, user)
}
