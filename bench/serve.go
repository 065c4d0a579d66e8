package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
)

const source = "/procurement"

func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// eventData is a partner-approved payload for partner i with the given
// numbers of groups, roles and apps.
func eventData(i, groups, roles int, apps, props bool) []byte {
	m := map[string]any{"requestId": fmt.Sprint("PR-", i), "email": fmt.Sprintf("partner%05d@fabrikam.com", i), "displayName": fmt.Sprint("Partner ", i)}
	gs := []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo}[:groups]
	if len(gs) > 0 {
		m["groups"] = gs
	}
	if roles > 0 {
		m["roles"] = []string{graphsim.RoleGuestInviter}
	}
	if apps {
		m["applications"] = []map[string]string{{"servicePrincipalId": graphsim.SampleSPWiki},
			{"servicePrincipalId": graphsim.SampleSPPartnerPortal, "appRoleId": graphsim.SampleAppRolePortalReader}}
	}
	if props {
		m["job"] = map[string]string{"jobTitle": "Engineer", "companyName": "Fabrikam"}
	}
	b, _ := json.Marshal(m)
	return b
}

// envelope wraps a structured CloudEvent with data in the Functions host's
// serviceBusTrigger invocation request.
func envelope(data []byte, messageID string, deliveryCount int) []byte {
	ev := fmt.Sprintf(`{"specversion":"1.0","type":"partner-approved","source":%q,"id":%q,"datacontenttype":"application/json","data":%s}`,
		source, messageID, data)
	dbl := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	meta := map[string]any{
		"DeliveryCount": strconv.Itoa(deliveryCount), "MessageId": dbl(messageID), "SequenceNumber": "1",
		"ContentType": dbl("application/cloudevents+json; charset=utf-8"),
		"sys":         map[string]any{"MethodName": "OnboardingEvents", "UtcNow": time.Now().UTC().Format(time.RFC3339Nano)},
	}
	out, _ := json.Marshal(map[string]any{"Data": map[string]any{"msg": base64.StdEncoding.EncodeToString([]byte(ev))}, "Metadata": meta})
	return out
}

// proc is a started server process.
type proc struct {
	cmd  *exec.Cmd
	port string
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// start runs bin with args and env and returns once it answers HTTP,
// with the time that took.
func start(bin string, env []string, args ...string) (*proc, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), env...), "FUNCTIONS_CUSTOMHANDLER_PORT="+port)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, port: port}
	client := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 20*time.Second {
		if resp, err := client.Get("http://127.0.0.1:" + port + "/"); err == nil {
			resp.Body.Close()
			return p, time.Since(t0), nil
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("%s did not answer within 20s: %s", bin, stderr.String())
}

func (p *proc) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// status reads a field (in kB) of /proc/<pid>/status, e.g. VmHWM.
func (p *proc) status(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb
		}
	}
	return 0
}

// cpu is the process's user+system CPU time so far.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
}

// serveEnv runs serve against graphsim at url with in-process queue and store.
func serveEnv(url string, extra ...string) []string {
	return append([]string{"GRAPH_BASE_URL=" + url + "/v1.0", "GRAPH_AUTH=none", "SCHEDULER=memory", "STATE_STORE=memory",
		"POLICY_ALLOWED_GROUPS=*", "POLICY_ALLOWED_ROLES=*", "POLICY_ALLOWED_APPS=*/*", "POLICY_ALLOWED_SOURCES=" + source,
		"LOG_LEVEL=error"}, extra...)
}

// sbWiring runs serve as deployed (SCHEDULER=servicebus), with a
// connection string to a loopback namespace: the azservicebus client and
// senders connect lazily, on the first send, so start-up makes no
// connection. The store stays in memory: a Table Storage store is a
// network call at start-up (the table is created when missing).
var sbWiring = []string{"SCHEDULER=servicebus",
	"ServiceBusConnection=Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=bench;SharedAccessKey=YmVuY2g="}

// startup: start → ready of serve vs a hello-world Go server, alternated
// with bench/sdkfloor (hello-world linked with the libraries serve needs):
// the floor no change here can go below. serve runs as deployed
// (sbWiring) and, informational, with SCHEDULER=memory (the local queue
// and host emulator `dev` uses).
func startup(bins map[string]string) error {
	runs := 15
	if *quick {
		runs = 3
	}
	gs := httptest.NewServer(http.NotFoundHandler())
	defer gs.Close()
	took := map[string][]time.Duration{}
	for i := 0; i < runs; i++ {
		for _, b := range []string{"hello", "sdkfloor", "onboard", "onboard-memory"} {
			bin, env, args := bins[b], serveEnv(gs.URL, sbWiring...), []string(nil)
			if strings.HasPrefix(b, "onboard") {
				bin, args = bins["onboard"], []string{"serve"}
			}
			if b == "onboard-memory" {
				env = serveEnv(gs.URL)
			}
			p, d, err := start(bin, env, args...)
			if err != nil {
				return err
			}
			p.stop()
			took[b] = append(took[b], d)
		}
	}
	o, h, f := ms(pct(took["onboard"], 50)), ms(pct(took["hello"], 50)), ms(pct(took["sdkfloor"], 50))
	row("start → ready of serve (median, as deployed)", o, h, "ms", "≤ 1.3x hello-world", o <= 1.3*h)
	row("  floor: hello-world + required SDKs (sdkfloor)", f, h, "ms", "(informational)", true)
	row("  serve over that floor", o, f, "ms", "(informational)", true)
	row("  serve with SCHEDULER=memory (local queue)", ms(pct(took["onboard-memory"], 50)), h, "ms", "(informational)", true)
	for _, b := range []string{"onboard", "sdkfloor"} {
		st, _ := os.Stat(bins[b])
		row(b+" binary size", float64(st.Size())/(1<<20), 0, "MiB", "(informational)", true)
	}
	return nil
}

// throughput: n onboardings through serve, 16 at a time (host.json
// maxConcurrentCalls), against graphsim with Graph's invitation throttle
// (150 per 5 s) and 50 ms latency; baseline: the floor n/150×5 s, and the
// same run with pacing off (INVITE_RATE_LIMIT=0).
func throughput(bins map[string]string) error {
	floor := float64(*n) / 150 * 5
	modes := []struct {
		name  string
		limit string
	}{{"paced", ""}, {"unpaced (INVITE_RATE_LIMIT=0)", "0"}}
	if *quick {
		modes = modes[:1]
	}
	for _, m := range modes {
		k := graphsim.DefaultKnobs()
		k.Latency = 50 * time.Millisecond
		sim, err := graphsim.New(graphsim.Config{Knobs: &k})
		if err != nil {
			return err
		}
		gs := httptest.NewServer(sim)
		var extra []string
		if m.limit != "" {
			extra = append(extra, "INVITE_RATE_LIMIT="+m.limit)
		}
		p, _, err := start(bins["onboard"], serveEnv(gs.URL, extra...), "serve")
		if err != nil {
			gs.Close()
			return err
		}
		cpu0 := p.cpu()
		var next, failed atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(*n); i = next.Add(1) - 1 {
					env := envelope(eventData(int(i), 2, 1, true, true), fmt.Sprint("tp-", i), 1)
					resp, err := http.Post("http://127.0.0.1:"+p.port+"/OnboardingEvents", "application/json", bytes.NewReader(env))
					if err != nil || resp.StatusCode != 200 {
						failed.Add(1)
					}
					if err == nil {
						resp.Body.Close()
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(t0).Seconds()
		cpu := p.cpu() - cpu0
		rss := p.status("VmHWM") / 1024
		p.stop()
		invited := sim.RequestCount("POST /invitations") - sim.RequestCount("POST /invitations (throttled)")
		share := 100 * float64(throttled(sim)) / float64(graphCalls(sim))
		gs.Close()
		if m.limit != "" { // the baseline: judged by nothing
			row(fmt.Sprintf("%d onboardings through serve, %s", *n, m.name), elapsed, floor, "s", "(baseline)", true)
			row("  Graph calls answered 429", share, 0, "%", "(baseline)", true)
		} else {
			row(fmt.Sprintf("%d onboardings through serve, %s", *n, m.name), elapsed, floor, "s", "≤ 1.05x floor", elapsed <= 1.05*floor)
			row("  Graph calls answered 429", share, 0, "%", "< 0.2 %", share < 0.2)
		}
		row("  failed deliveries / guests invited", float64(failed.Load()), 0, fmt.Sprintf("/ %d", invited), "0 failed", failed.Load() == 0)
		row("  serve CPU per onboarding", ms(cpu)/float64(*n), 0, "ms", "(informational)", true)
		row("  peak RSS of serve", rss, 0, "MB", "< 48 MB", rss < 48)
	}
	return nil
}
