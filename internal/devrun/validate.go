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
		ev, err := handlers.ParseCloudEvent(servicebus.ContentTypeCloudEventsJSON, nil, body)
		if err == nil {
			err = workflow.CheckEvent(ev, p, c)
		}
		var list workflow.ErrorList
		switch {
		case errors.As(err, &list):
			for _, e := range list {
				problems = append(problems, e.Error())
			}
		case err != nil:
			problems = append(problems, err.Error())
		}
		json.NewEncoder(w).Encode(map[string][]string{"problems": problems})
	})
	return mux
}
