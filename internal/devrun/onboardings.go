package devrun

import (
	"encoding/json"
	"net/http"

	"github.com/b2b-onboarding/onboard/workflow"
)

// OnboardingsHandler serves the dev-only ops route GET /_dev/onboardings:
// every onboarding record in the state store, in key order, for `onboard
// list` (the deployed app has no such route; there `list` reads the state
// table the settings name).
func OnboardingsHandler(store workflow.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/onboardings", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		recs, err := store.List(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "state store: "+err.Error())
			return
		}
		if recs == nil {
			recs = []workflow.Record{}
		}
		json.NewEncoder(w).Encode(recs)
	})
	return mux
}
