//go:build unix

package main

// The crash test of issue 10: `onboard dev` runs as a process and is killed
// with SIGKILL at random moments, then restarted on the same --data-dir,
// while messages are sent, scheduled and settled through its ops API.
// Service Bus never loses a message whose send returned, and a settlement
// that returned stays done; the dev runtime must keep the same promises.
//
// Short variant: part of `go test ./cmd/onboard/` (skipped with -short).
// Longer: ONBOARD_CRASH_LONG=1 go test -run TestDevSurvivesKill9 -v ./cmd/onboard/

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/devhost"
)

const (
	crashTrigger = "onboarding"   // read by the OnboardingEvents trigger
	crashSettle  = "crash-settle" // read by this test through the peek-lock routes
)

// crashLedger is what the clients were told, per message id.
type crashLedger struct {
	mu        sync.Mutex
	sent      map[string]string // acknowledged sends: id → queue
	scheduled map[string]bool   // of which scheduled
	lastDC    map[string]int    // settle queue: last delivery count received
	completed map[string]bool   // settle queue: acknowledged completions
	deadLet   map[string]bool   // settle queue: acknowledged dead-letterings
	unsure    map[string]bool   // settle queue: a settlement whose answer was lost
	abandons  int               // acknowledged abandons
	retries   int               // sends whose answer was lost (dev killed) and that were sent again
	problems  []string
}

func (l *crashLedger) problem(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

func TestDevSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills onboard dev repeatedly")
	}
	kills, perQueue := 8, 40
	if os.Getenv("ONBOARD_CRASH_LONG") != "" {
		kills, perQueue = 60, 400
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 10))
	t.Logf("seed %d: %d kills, %d messages per kind", seed, kills, perQueue)

	bin := buildOnboard(t)
	work, dataDir := t.TempDir(), filepath.Join(t.TempDir(), "data")
	env := cleanEnv()
	// Every message to the trigger queue fails in the handler (not a
	// CloudEvent), so after two deliveries it must be in the dead-letter
	// queue: the witness that it was not lost. A lock held when dev was
	// killed lapses after 2 s.
	devArgs := []string{"--data-dir", dataDir, "--max-delivery-count", "2", "--lock-duration", "2s"}
	var cur atomic.Pointer[devProcess]
	cur.Store(startDev(t, bin, work, env, devArgs...))
	client := &http.Client{Timeout: 5 * time.Second}
	l := &crashLedger{sent: map[string]string{}, scheduled: map[string]bool{}, lastDC: map[string]int{},
		completed: map[string]bool{}, deadLet: map[string]bool{}, unsure: map[string]bool{}}

	// call sends one request to the dev process of the moment.
	call := func(method, path string, body []byte, hdr map[string]string) (int, []byte, error) {
		req, err := http.NewRequest(method, cur.Load().devURL+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return resp.StatusCode, data, err
	}
	// send retries until the runtime acknowledges (201), as a client with
	// retries would; a retry after a lost answer reuses the MessageId, so
	// duplicate detection keeps one copy.
	send := func(queue, id string, scheduled bool) {
		hdr := map[string]string{"Content-Type": "application/json", devhost.HeaderMessageID: id}
		if scheduled {
			hdr[devhost.HeaderScheduledEnqueueTime] = "1s"
		}
		for {
			status, _, err := call(http.MethodPost, "/_dev/queues/"+queue+"/messages", []byte(`{"crash":"`+id+`"}`), hdr)
			if err == nil && status == http.StatusCreated {
				l.mu.Lock()
				l.sent[id] = queue
				l.scheduled[id] = scheduled
				l.mu.Unlock()
				return
			}
			l.mu.Lock()
			l.retries++
			l.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}

	stop := make(chan struct{})
	var clients sync.WaitGroup
	sendRng := rand.New(rand.NewPCG(seed, 12))
	clients.Go(func() { // paced to spread the sends over the kills
		for i := range perQueue {
			send(crashTrigger, fmt.Sprintf("now-%d", i), false)
			send(crashTrigger, fmt.Sprintf("later-%d", i), true)
			send(crashSettle, fmt.Sprintf("settle-%d", i), false)
			time.Sleep(time.Duration(sendRng.IntN(200)) * time.Millisecond)
		}
	})
	settleRng := rand.New(rand.NewPCG(seed, 11))
	clients.Go(func() { settleLoop(l, call, settleRng, stop) })

	// The killer: SIGKILL at a random moment of each life, then restart.
	for range kills {
		time.Sleep(time.Duration(50+rng.IntN(600)) * time.Millisecond)
		old := cur.Load()
		old.kill()
		cur.Store(startDev(t, bin, work, env, devArgs...))
	}
	t.Logf("%d kills done", kills)

	// Let everything settle on the last process: no message left anywhere
	// but in the dead-letter queues (the settle loop drains its queue).
	deadline := time.Now().Add(60 * time.Second)
	for {
		l.mu.Lock()
		allSent := len(l.sent) == 3*perQueue
		l.mu.Unlock()
		if allSent && queueEmpty(call, crashTrigger) && queueEmpty(call, crashSettle) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues not drained 60 s after the last kill")
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	clients.Wait()

	dlq := func(queue string) map[string]devhost.MessageView {
		status, data, err := call(http.MethodGet, "/_dev/queues/"+queue+"/deadletter", nil, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("dead letters of %s: %d %v", queue, status, err)
		}
		var vs []devhost.MessageView
		if err := json.Unmarshal(data, &vs); err != nil {
			t.Fatal(err)
		}
		out := map[string]devhost.MessageView{}
		for _, v := range vs {
			if _, dup := out[v.MessageID]; dup {
				l.problem("%s: %s dead-lettered twice", queue, v.MessageID)
			}
			out[v.MessageID] = v
		}
		return out
	}
	trig, settle := dlq(crashTrigger), dlq(crashSettle)
	var lost, acked, ackedScheduled int
	for id, queue := range l.sent {
		acked++
		if l.scheduled[id] {
			ackedScheduled++
		}
		switch queue {
		case crashTrigger:
			v, ok := trig[id]
			switch {
			case !ok:
				lost++
				l.problem("acknowledged send %s (scheduled %v) was never delivered to the end: not in the dead-letter queue", id, l.scheduled[id])
			case v.DeliveryCount != 2 || v.DeadLetterReason != devhost.ReasonMaxDeliveryCountExceeded:
				l.problem("%s dead-lettered after %d deliveries (%s), want 2 (MaxDeliveryCountExceeded)", id, v.DeliveryCount, v.DeadLetterReason)
			}
		case crashSettle:
			_, inDLQ := settle[id]
			switch {
			case l.completed[id] && inDLQ:
				l.problem("%s: completion acknowledged, yet dead-lettered", id)
			case l.deadLet[id] && !inDLQ:
				l.problem("%s: dead-lettering acknowledged, yet not in the dead-letter queue", id)
			case !inDLQ && !l.completed[id] && !l.unsure[id]:
				lost++
				l.problem("acknowledged send %s neither completed nor dead-lettered", id)
			}
		}
	}
	t.Logf("acknowledged sends: %d (%d scheduled; %d sends retried after a kill); settlements acknowledged: %d completed, %d abandoned, %d dead-lettered, %d with a lost answer; lost: %d",
		acked, ackedScheduled, l.retries, len(l.completed), l.abandons, len(l.deadLet), len(l.unsure), lost)
	for _, p := range l.problems {
		t.Error(p)
	}
}

// settleLoop receives from the settle queue until stop and settles each
// delivery at random: complete, abandon or dead-letter. It checks what
// Service Bus guarantees a receiver: a message whose completion or
// dead-lettering was acknowledged is never delivered again, and delivery
// counts only grow.
func settleLoop(l *crashLedger, call func(string, string, []byte, map[string]string) (int, []byte, error), rng *rand.Rand, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		status, data, err := call(http.MethodPost, "/_dev/queues/"+crashSettle+"/messages/head?timeout=1", nil, nil)
		if err != nil || status != http.StatusCreated {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var m devhost.MessageView
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		l.mu.Lock()
		if l.completed[m.MessageID] || l.deadLet[m.MessageID] {
			l.problem("%s delivered again (delivery %d) after its settlement was acknowledged", m.MessageID, m.DeliveryCount)
		}
		if m.DeliveryCount <= l.lastDC[m.MessageID] {
			l.problem("%s: delivery count %d after %d", m.MessageID, m.DeliveryCount, l.lastDC[m.MessageID])
		}
		l.lastDC[m.MessageID] = m.DeliveryCount
		l.mu.Unlock()

		path := fmt.Sprintf("/_dev/queues/%s/messages/%d/%s", crashSettle, m.SequenceNumber, m.LockToken)
		var method string
		var body []byte
		action := rng.IntN(10)
		switch {
		case action < 6:
			method = http.MethodDelete
		case action < 8:
			method = http.MethodPut
		default:
			method, path, body = http.MethodPost, path+"/deadletter", []byte(`{"reason":"CrashTest","description":"settled by the crash test"}`)
		}
		status, _, err = call(method, path, body, map[string]string{"Content-Type": "application/json"})
		l.mu.Lock()
		switch {
		case err != nil || status >= 500:
			l.unsure[m.MessageID] = true // killed mid-settlement: either outcome is allowed
		case status == http.StatusOK && method == http.MethodDelete:
			l.completed[m.MessageID] = true
		case status == http.StatusOK && method == http.MethodPut:
			l.abandons++
		case status == http.StatusOK:
			l.deadLet[m.MessageID] = true
		}
		l.mu.Unlock()
	}
}

// queueEmpty reports whether queue has nothing active, locked or scheduled.
func queueEmpty(call func(string, string, []byte, map[string]string) (int, []byte, error), queue string) bool {
	status, data, err := call(http.MethodGet, "/_dev/queues/"+queue, nil, nil)
	if err != nil || status != http.StatusOK {
		return false
	}
	var st devhost.QueueStats
	return json.Unmarshal(data, &st) == nil && st.Active+st.Locked+st.Scheduled == 0
}
