package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	onboard "github.com/b2b-onboarding/onboard"
	"github.com/b2b-onboarding/onboard/workflow"
)

// devAppRoot returns the folder the host emulator loads host.json and
// functions/*/function.json from: the working directory when it holds both
// (a checkout, so edits to function.json take effect), else a temporary
// copy of the files embedded in the binary; cleanup removes that copy.
func devAppRoot() (root, source string, cleanup func(), err error) {
	if st, err := os.Stat("functions"); err == nil && st.IsDir() {
		if _, err := os.Stat("host.json"); err == nil {
			wd, _ := os.Getwd()
			return ".", wd, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "onboard-app-")
	if err != nil {
		return "", "", nil, fmt.Errorf("app files: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.CopyFS(dir, onboard.AppFiles); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("app files: %w", err)
	}
	return dir, "built-in copy", cleanup, nil
}

// failuresHandler serves the dev-only ops route
// GET /_dev/failures/{messageId}: the workflow.Failure recorded for a
// message id (404 when none), so `onboard dlq` can show why a dead letter
// failed, not only MaxDeliveryCountExceeded. Ids with '/' may come escaped
// (%2F) or not.
func failuresHandler(store workflow.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/failures/{messageId...}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("messageId")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		f, err := store.Failure(r.Context(), id)
		switch {
		case errors.Is(err, workflow.ErrNotFound):
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "no failure recorded for message " + id})
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"error": "state store: " + err.Error()})
		default:
			json.NewEncoder(w).Encode(f)
		}
	})
	return mux
}
