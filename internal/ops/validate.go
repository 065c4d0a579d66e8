package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/internal/devrun"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Settings an event is judged by (--settings of `validate`).
const (
	JudgeDev   = "dev"   // the settings `onboard dev` runs with: yours over dev's defaults
	JudgeServe = "serve" // your settings as `onboard serve` reads them
)

// ValidateOptions are what `onboard validate` was asked.
type ValidateOptions struct {
	Files    []string
	Settings string // JudgeDev or JudgeServe
}

// ErrInvalid is returned when an event has problems (exit 1).
var ErrInvalid = errors.New("invalid")

// Validate checks each file as the handler would check the message `send`
// makes of it: the CloudEvent, the event type, the source, the data's
// schema and the policy, without Graph or the state store. Each file gets
// a line "FILE: ok …" or "FILE: N problem(s)" followed by one line per
// problem naming the field and the rule, on stdout. A file holding only
// event data (no "specversion") is checked as the data of a
// partner-approved event, as `send --type partner-approved --data @FILE`
// would send it. The error says how many files are invalid.
func Validate(o ValidateOptions, stdout io.Writer) error {
	user, _, err := config.UserSettings()
	if err != nil {
		return err
	}
	judge, err := loadJudge(user, o.Settings)
	if err != nil {
		return err
	}
	bad := 0
	for _, f := range o.Files {
		e, err := fileEvent(f)
		if err == nil {
			err = judge.check(e)
		}
		if err == nil {
			fmt.Fprintf(stdout, "%s: ok (%s event %s)\n", f, e.Type(), e.ID())
			continue
		}
		bad++
		writeProblems(stdout, f, devrun.Problems(err))
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d file(s) have problems", ErrInvalid, bad, len(o.Files))
	}
	return nil
}

// writeProblems prints "NAME: N problem(s)" and one indented line each.
func writeProblems(w io.Writer, name string, list []string) {
	fmt.Fprintf(w, "%s: %d problem%s\n", name, len(list), plural(len(list)))
	for _, p := range list {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// judge holds the settings events are checked against.
type judge struct {
	policy workflow.Policy
	cfg    workflow.Config
}

// loadJudge reads the policy settings `which` names from the user's
// settings (config.UserSettings, read once by the caller).
func loadJudge(user config.Getenv, which string) (judge, error) {
	get := user
	switch which {
	case JudgeDev, "":
		get = devrun.EventSettings(user)
	case JudgeServe:
	default:
		return judge{}, fmt.Errorf("--settings %q: must be dev or serve", which)
	}
	p, c, err := config.LoadPolicy(get)
	if err != nil {
		return judge{}, fmt.Errorf("cannot check events: %w", err)
	}
	return judge{policy: p, cfg: c}, nil
}

// check runs the handler's checks on the message send would make of e.
func (j judge) check(e event.Event) error {
	body, err := encodeEvent(e)
	if err != nil {
		return err
	}
	return devrun.CheckEvent(body, j.policy, j.cfg)
}

// fileEvent reads FILE as `send FILE` does, or, when it holds only event
// data, as `send --type partner-approved --data @FILE` does.
func fileEvent(path string) (event.Event, error) {
	raw, err := readArg("FILE", path)
	if err != nil {
		return event.Event{}, err
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(raw), &probe) == nil {
		if _, ok := probe["specversion"]; !ok {
			return buildEvent(EventSpec{Type: workflow.TypePartnerApproved, Data: "@" + path}, time.Now())
		}
	}
	return buildEvent(EventSpec{File: path}, time.Now())
}
