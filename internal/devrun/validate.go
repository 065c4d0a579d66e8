package devrun

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/workflow"
)

// ValidateHandler serves the dev-only ops route POST /_dev/validate: the
// problems the handler would find in a structured CloudEvent (the body)
// under the policy and settings this dev runtime runs with, as
// {"problems": [...]} (empty when valid). `onboard send` asks it before
// sending, so an event is judged by the settings of the dev that will
// handle it, not by those of the shell send runs in.
func ValidateHandler(p workflow.Policy, c workflow.Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_dev/validate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "body: "+err.Error())
			return
		}
		problems := []string{}
		if err := CheckEvent(body, p, c); err != nil {
			problems = Problems(err)
		}
		json.NewEncoder(w).Encode(map[string][]string{"problems": problems})
	})
	return mux
}

// CheckEvent runs the handler's checks on a structured-mode CloudEvent
// body (the message `onboard send` makes): the envelope, the type, the
// source, the data and the policy, without Graph or the state store.
func CheckEvent(body []byte, p workflow.Policy, c workflow.Config) error {
	ev, err := handlers.ParseCloudEvent(servicebus.ContentTypeCloudEventsJSON, nil, body)
	if err != nil {
		return err
	}
	return workflow.CheckEvent(ev, p, c)
}

// Problems lists the problems of a CheckEvent error, one per field.
func Problems(err error) []string {
	var list workflow.ErrorList
	if !errors.As(err, &list) {
		return []string{err.Error()}
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}
