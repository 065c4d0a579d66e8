package devrun

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/b2b-onboarding/onboard/workflow"
)

// FailuresHandler serves the dev-only ops route
// GET /_dev/failures/{messageId}: the workflow.Failure recorded for a
// message id (404 when none), so `onboard dlq` can show why a dead letter
// failed, not only MaxDeliveryCountExceeded. Ids with '/' may come escaped
// (%2F) or not.
func FailuresHandler(store workflow.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/failures/{messageId...}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("messageId")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		f, err := store.Failure(r.Context(), id)
		switch {
		case errors.Is(err, workflow.ErrNotFound):
			writeError(w, http.StatusNotFound, "no failure recorded for message "+id)
		case err != nil:
			writeError(w, http.StatusInternalServerError, "state store: "+err.Error())
		default:
			json.NewEncoder(w).Encode(f)
		}
	})
	return mux
}

// writeError answers {"error": msg} with status code.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
