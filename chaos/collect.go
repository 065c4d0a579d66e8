package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// getJSON GETs u and decodes a 200 answer into out; found is false on 404.
func getJSON(ctx context.Context, hc *http.Client, u string, out any) (found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	// dev enforces the status function's authLevel, as the host does
	req.Header.Set("x-functions-key", devhost.DevFunctionKey)
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", u, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(body, out); err != nil {
			return false, fmt.Errorf("GET %s: %w", u, err)
		}
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(body))
}

// retrying runs f up to 5 times, a second apart, while it fails (dev may
// be restarting after a crash).
func retrying(ctx context.Context, f func() error) error {
	var err error
	for range 5 {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Second)
	}
	return err
}

// simState reads graphsim's tenant snapshot.
func simState(ctx context.Context, simRoot string) (graphsim.State, error) {
	var st graphsim.State
	hc := &http.Client{Timeout: time.Minute}
	err := retrying(ctx, func() error {
		found, err := getJSON(ctx, hc, simRoot+"/_sim/state", &st)
		if err == nil && !found {
			err = errors.New("graphsim has no /_sim/state")
		}
		return err
	})
	return st, err
}

// records asks the status function (GET /api/onboarding/{key}, what
// `onboard status --json` prints) for each address, `workers` at a time,
// with the dev runtime's function key (it enforces authLevel, as Azure does).
func records(ctx context.Context, devURL string, addrs []string, workers int) (map[string]*workflow.Record, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	out := map[string]*workflow.Record{}
	var mu sync.Mutex
	var firstErr error
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for a := range next {
				var rec workflow.Record
				var found bool
				err := retrying(ctx, func() (err error) {
					found, err = getJSON(ctx, hc, devURL+"/api/onboarding/"+url.PathEscape(a)+"?code="+devhost.DevFunctionKey, &rec)
					return err
				})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("status of %s: %w", a, err)
				}
				if found {
					out[a] = &rec
				}
				mu.Unlock()
			}
		})
	}
	for _, a := range addrs {
		next <- a
	}
	close(next)
	wg.Wait()
	return out, firstErr
}

// queuedByKey peeks the main queue and groups its messages by onboarding.
func queuedByKey(ctx context.Context, client *devhost.Client) (map[string][]queued, error) {
	var ms []devhost.ReceivedMessage
	err := retrying(ctx, func() (err error) { ms, err = client.Peek(ctx, queueName); return err })
	if err != nil {
		return nil, err
	}
	out := map[string][]queued{}
	for _, m := range ms {
		q, key := messageKey(m.Body)
		q.MessageID = m.MessageID
		out[key] = append(out[key], q)
	}
	return out, nil
}

// deadLetters runs `onboard dlq list --json` against dev and groups the
// dead letters by onboarding, each with the reason the workflow recorded.
func deadLetters(ctx context.Context, bin, devURL, dir string, env []string) (map[string][]deadLetter, error) {
	var raw []byte
	err := retrying(ctx, func() error {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, "dlq", "list", "--json", "--dev-url", devURL)
		cmd.Dir, cmd.Env = dir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("onboard dlq list --json: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		raw = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	var list []struct {
		MessageID string          `json:"messageId"`
		Body      json.RawMessage `json:"body"`
		Recorded  *struct {
			Key    string `json:"key"`
			Reason string `json:"reason"`
		} `json:"recorded"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("onboard dlq list --json: %w", err)
	}
	out := map[string][]deadLetter{}
	for _, d := range list {
		q, key := messageKey(d.Body)
		q.MessageID = d.MessageID
		dl := deadLetter{queued: q}
		if d.Recorded != nil {
			dl.Reason = d.Recorded.Reason
			if key == "" {
				key = strings.ToLower(d.Recorded.Key)
			}
		}
		out[key] = append(out[key], dl)
	}
	return out, nil
}

// panicLine matches the first line of a Go panic or fatal runtime error, a
// panic the handler recovered and logged, and a race report.
var panicLine = regexp.MustCompile(`(?i)^(panic: |fatal error: |WARNING: DATA RACE)|^[^\t ].*\bpanic`)

// isPanicLine reports whether a log line reports a panic; the frames of the
// stack trace that follows (indented, "goroutine N", "panic(...)" calls)
// do not, so a panic counts once.
func isPanicLine(l string) bool {
	return panicLine.MatchString(l) && !strings.HasPrefix(l, "panic(") && !strings.HasPrefix(l, "goroutine ")
}

// panics returns the panic lines of the given log files.
func panics(files []string) ([]string, error) {
	var out []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			l := sc.Text()
			if isPanicLine(l) {
				if len(l) > 300 {
					l = l[:300] + "…"
				}
				out = append(out, fmt.Sprintf("%s: %s", name, l))
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}
