//go:build unix

package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process in its own process group; its stdout and stderr
// go to one log file, and each stdout line is also handed to onLine.
type proc struct {
	cmd     *exec.Cmd
	log     string
	done    chan struct{} // closed once the process has exited
	waitErr error
	killed  bool // set before the harness signals it
}

// startProc starts bin with args in dir.
func startProc(bin string, args, env []string, dir, logPath string, onLine func(string)) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, f
	cmd.SysProcAttr = procAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s %s: %w", filepath.Base(bin), args[0], err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = f.WriteString(line + "\n")
			if onLine != nil {
				onLine(line)
			}
		}
		_, _ = f.ReadFrom(out) // a line too long for the scanner: keep the rest
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// signal sends sig to the process group, unless the process has exited.
func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		p.killed = true
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// kill ends the process group with SIGKILL and waits for the exit.
func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// stop interrupts the process (Ctrl-C) and kills it if it has not exited
// within grace.
func (p *proc) stop(grace time.Duration) {
	p.signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
	}
}

// startGraphsim runs `onboard graphsim` and returns it with its root URL
// (the admin API is under /_sim, Graph under /v1.0).
func startGraphsim(c Config, bin, work string, env []string) (*proc, string, error) {
	args := []string{"graphsim", "--addr", "127.0.0.1:0", "--rand-seed", fmt.Sprint(c.Seed),
		"--failure-rate", fmt.Sprint(c.FailureRate), "--drop-rate", fmt.Sprint(c.DropRate),
		"--drop-after-rate", fmt.Sprint(c.DropAfterRate), "--retry-after", fmt.Sprint(c.RetryAfter),
		"--replication-lag", c.ReplicationLag.String(), "--invite-limit", fmt.Sprint(c.InviteLimit),
		"--invite-window", c.InviteWindow.String()}
	first := make(chan string, 1)
	var once sync.Once
	p, err := startProc(bin, args, env, work, filepath.Join(work, "graphsim.log"), func(line string) {
		once.Do(func() { first <- line })
	})
	if err != nil {
		return nil, "", err
	}
	select {
	case line := <-first:
		root, ok := strings.CutSuffix(strings.TrimSpace(line), "/v1.0")
		if !ok || !strings.HasPrefix(root, "http://127.0.0.1:") {
			p.kill()
			return nil, "", fmt.Errorf("graphsim printed %q, want its base URL http://127.0.0.1:PORT/v1.0", line)
		}
		return p, root, nil
	case <-p.done:
		return nil, "", fmt.Errorf("graphsim exited before it was ready (%v); see %s", p.waitErr, p.log)
	case <-time.After(30 * time.Second):
		p.kill()
		return nil, "", fmt.Errorf("graphsim printed no base URL within 30s; see %s", p.log)
	}
}

// devSupervisor keeps one `onboard dev` running on a fixed address and
// data directory, killing it with SIGKILL at random intervals while
// killing is on and restarting it after every exit.
type devSupervisor struct {
	bin, work string
	args, env []string

	mu         sync.Mutex
	cur        *proc
	logs       []string
	kills      int
	unexpected []string // exits nobody caused: log file and exit status
}

// newDevSupervisor prepares `onboard dev --addr addr ...`.
func newDevSupervisor(c Config, bin, work, addr, graphRoot string, env []string) *devSupervisor {
	return &devSupervisor{bin: bin, work: work, env: env, args: []string{"dev", "--addr", addr,
		"--graph-url", graphRoot + "/v1.0", "--data-dir", filepath.Join(work, "data"), "--reminder-schedule", c.Reminders,
		"--expire-after", c.ExpireAfter, "--max-delivery-count", fmt.Sprint(c.MaxDelivery), "--lock-duration", c.LockDuration.String(), "--log-format", "text"}}
}

// devReady is the line dev prints on stdout once the host emulator runs.
const devReady = "onboard dev is ready"

// start starts a new dev process and waits until it is ready. A process
// that exits before it is ready (say, the address is not free yet) is
// retried for up to 30 s; each attempt gets its own log file.
func (s *devSupervisor) start(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		logPath := filepath.Join(s.work, fmt.Sprintf("dev-%03d.log", len(s.logs)+1))
		s.logs = append(s.logs, logPath)
		s.mu.Unlock()
		ready := make(chan struct{})
		var once sync.Once
		p, err := startProc(s.bin, s.args, s.env, s.work, logPath, func(line string) {
			if strings.Contains(line, devReady) {
				once.Do(func() { close(ready) })
			}
		})
		if err != nil {
			return err
		}
		select {
		case <-ready:
			s.mu.Lock()
			s.cur = p
			s.mu.Unlock()
			return nil
		case <-p.done: // a start that fails is an exit nobody caused
			s.exitedByItself(p, "before it was ready")
		case <-ctx.Done():
			p.kill()
			return ctx.Err()
		case <-time.After(time.Until(deadline)):
			p.kill()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("onboard dev did not become ready within 30s; see %s", logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// supervise restarts dev after every exit until ctx ends; while killing
// is open it also kills dev (SIGKILL) between KillMin and KillMax after
// each start. Exits the harness did not cause are counted.
func (s *devSupervisor) supervise(ctx context.Context, c Config, rng *rand.Rand, killing <-chan struct{}) error {
	for {
		s.mu.Lock()
		p := s.cur
		s.mu.Unlock()
		var timer <-chan time.Time
		if killing != nil {
			d := c.KillMin + time.Duration(rng.Int64N(int64(c.KillMax-c.KillMin)+1))
			timer = time.After(d)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-killing:
			killing = nil
			continue
		case <-timer:
			p.kill()
			s.mu.Lock()
			s.kills++
			s.mu.Unlock()
		case <-p.done:
			if !p.killed {
				s.exitedByItself(p, "while running")
			}
		}
		if err := s.start(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
	}
}

// stop ends the current dev process with Ctrl-C (SIGKILL after 20 s).
func (s *devSupervisor) stop() {
	s.mu.Lock()
	p := s.cur
	s.mu.Unlock()
	if p != nil {
		p.stop(20 * time.Second)
	}
}

// exitedByItself notes an exit of p the harness did not cause.
func (s *devSupervisor) exitedByItself(p *proc, when string) {
	s.mu.Lock()
	s.unexpected = append(s.unexpected, fmt.Sprintf("%s: dev exited %s (%v)", p.log, when, p.waitErr))
	s.mu.Unlock()
}

// counts returns the kills so far and the exits nobody caused.
func (s *devSupervisor) counts() (kills int, unexpected []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kills, slices.Clone(s.unexpected)
}

// logFiles lists every dev process's log.
func (s *devSupervisor) logFiles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logs...)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
