package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/workflow"
)

// ListOptions are what `onboard list` was asked.
type ListOptions struct {
	Phase  string // only onboardings in this phase ("" = all)
	JSON   bool   // print the records as JSON
	Target Target // the dev runtime, or (Service Bus settings) the state store the settings name
}

// Phases are the phases --phase accepts.
var Phases = []workflow.Phase{workflow.PhaseNew, workflow.PhaseInvited, workflow.PhaseProvisioned,
	workflow.PhaseCompleted, workflow.PhaseExpired, workflow.PhaseFailed}

// ParsePhase returns the phase named s (any case), or an error listing them.
func ParsePhase(s string) (workflow.Phase, error) {
	names := make([]string, len(Phases))
	for i, p := range Phases {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
		names[i] = string(p)
	}
	return "", fmt.Errorf("--phase %q: must be one of %s", s, strings.Join(names, ", "))
}

// List writes the onboardings of the state store as a table (key, phase,
// guest, emails sent, next reminder, last error) or as JSON: those of the
// dev runtime (its ops API), or, with --servicebus or Service Bus
// settings, those of the state table the settings name.
func List(ctx context.Context, o ListOptions, stdout io.Writer, now time.Time) error {
	var phase workflow.Phase
	if o.Phase != "" {
		var err error
		if phase, err = ParsePhase(o.Phase); err != nil {
			return err
		}
	}
	get, _, err := config.UserSettings()
	if err != nil {
		return err
	}
	recs, where, err := listRecords(ctx, o.Target, get)
	if err != nil {
		return err
	}
	var out []workflow.Record
	for _, r := range recs {
		if phase == "" || r.Phase == phase {
			out = append(out, r)
		}
	}
	if o.JSON {
		if out == nil {
			out = []workflow.Record{}
		}
		return writeJSON(stdout, out)
	}
	if len(out) == 0 {
		what := "onboardings"
		if phase != "" {
			what = string(phase) + " onboardings"
		}
		fmt.Fprintf(stdout, "no %s in %s\n", what, where)
		return nil
	}
	t := &table{header: []string{"KEY", "PHASE", "GUEST", "EMAILS", "NEXT REMINDER", "LAST ERROR"}, max: []int{0, 0, 0, 0, 0, 100}}
	for _, r := range out {
		t.add(r.Key, string(r.Phase), orDash(r.GuestID), fmt.Sprint(r.Invite.EmailsSent), nextReminder(r, now), orDash(lastError(r)))
	}
	return t.write(stdout)
}

// nextReminder is "#n hh:mm:ss", or "-" when none is scheduled.
func nextReminder(r workflow.Record, now time.Time) string {
	if r.Reminders.Next == 0 {
		return "-"
	}
	return fmt.Sprintf("#%d %s", r.Reminders.Next, stamp(r.Reminders.NextDue, now))
}

// lastError is the permanent failure of a record, else its last transient
// error.
func lastError(r workflow.Record) string {
	if r.Failure != nil {
		return r.Failure.Reason
	}
	return r.LastError
}

// listRecords reads every record from the dev runtime or the state store
// the settings name, and says where from.
func listRecords(ctx context.Context, target Target, get config.Getenv) ([]workflow.Record, string, error) {
	if target.useServiceBus(get) {
		st, note := settingsStore(ctx, get)
		if st == nil {
			return nil, "", fmt.Errorf("cannot read the state store: %s", note)
		}
		recs, err := st.List(ctx)
		return recs, "the state store", err
	}
	base := strings.TrimRight(target.DevURL, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_dev/onboardings", nil)
	if err != nil {
		return nil, "", fmt.Errorf("--dev-url %q: %w", target.DevURL, err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("dev runtime at %s: %w (is `onboard dev` running?)", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s/_dev/onboardings: %s", base, resp.Status)
	}
	var recs []workflow.Record
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
		return nil, "", fmt.Errorf("GET %s/_dev/onboardings: answer is not a list of records: %w", base, err)
	}
	return recs, base, nil
}
