package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

// The outcomes: a failed check makes onboardings fail; a warning is worth a
// look (or could not be decided).
const (
	OK   Status = "ok"
	Fail Status = "fail"
	Warn Status = "warn"
)

func (s Status) mark() string {
	switch s {
	case OK:
		return "✓"
	case Fail:
		return "✗"
	}
	return "!"
}

// Result is one check's answer; Fix says what to do when it is not OK.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every check's answer, in the order they ran.
type Report struct {
	Results []Result `json:"results"`
}

// Failed reports whether any check failed (the command exits 1).
func (r Report) Failed() bool { return r.count(Fail) > 0 }

func (r Report) count(s Status) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// Summary is the one-line verdict `onboard dev` prints at start-up.
func (r Report) Summary() string {
	return fmt.Sprintf("doctor: %d ok, %d failed, %d warnings", r.count(OK), r.count(Fail), r.count(Warn))
}

// Render writes the human table: one line per check, a fix line under each
// problem, and the summary.
func Render(w io.Writer, r Report) error {
	width := 0
	for _, x := range r.Results {
		width = max(width, len(x.Check))
	}
	var b strings.Builder
	for _, x := range r.Results {
		fmt.Fprintf(&b, "%s %-*s  %s\n", x.Status.mark(), width, x.Check, x.Detail)
		if x.Status != OK && x.Fix != "" {
			fmt.Fprintf(&b, "  %*s  fix: %s\n", width, "", x.Fix)
		}
	}
	b.WriteString(r.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// RenderJSON writes the report as indented JSON with the summary counts.
func RenderJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Report
		OK       int  `json:"ok"`
		Failed   int  `json:"failed"`
		Warnings int  `json:"warnings"`
		Pass     bool `json:"pass"`
	}{r, r.count(OK), r.count(Fail), r.count(Warn), !r.Failed()})
}
