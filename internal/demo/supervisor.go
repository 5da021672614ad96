package demo

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"pixcdn/internal/localserver"
)

// Restart backoff of a supervised child: the first restart comes after
// restartDelayMin, each quick crash doubles the delay up to restartDelayMax,
// and a child that ran for restartStableAfter starts over at the minimum.
const (
	restartDelayMin    = 500 * time.Millisecond
	restartDelayMax    = 30 * time.Second
	restartStableAfter = time.Minute
)

// supervisor runs child processes of the pixcdn binary for the demo. It logs
// every child that exits on its own with its exit status, restarts those
// started with restart after a backoff, and stops them all, newest first,
// in stopAll. Safe for concurrent use.
type supervisor struct {
	binary   string // the pixcdn binary the children run
	log      *slog.Logger
	mu       sync.Mutex
	children []*child // in start order
	stopping bool
	quit     chan struct{} // closed by stopAll: restart waits end
	watchers sync.WaitGroup
	exited   chan string // names of children that exited on their own
}

// child is one supervised command and its current process.
type child struct {
	name    string
	args    []string
	env     []string
	out     io.Writer
	restart bool
	// proc is the current process, started at startedAt; both are
	// guarded by supervisor.mu.
	proc      *localserver.Process
	startedAt time.Time
}

func newSupervisor(binary string, log *slog.Logger) *supervisor {
	return &supervisor{binary: binary, log: log, quit: make(chan struct{}), exited: make(chan string, 16)}
}

var errSupervisorStopping = errors.New("the supervisor is stopping its children")

// start runs `pixcdn args…` with env added to this process's environment and
// its output prefixed by name on out, and watches it: when it exits on its
// own the exit is logged and delivered on Exited, and with restart it is run
// again after a backoff. The child is killed if this process dies.
func (s *supervisor) start(name string, restart bool, out io.Writer, env []string, args ...string) error {
	c := &child{name: name, args: args, env: env, out: out, restart: restart}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.spawnLocked(c); err != nil {
		return err
	}
	s.children = append(s.children, c)
	s.watchers.Add(1)
	go s.watch(c)
	return nil
}

// spawnLocked starts c's process; s.mu is held.
func (s *supervisor) spawnLocked(c *child) error {
	if s.stopping {
		return errSupervisorStopping
	}
	cmd := exec.Command(s.binary, c.args...)
	cmd.Env = append(os.Environ(), c.env...)
	prefixed := &prefixWriter{prefix: c.name + " | ", w: c.out}
	cmd.Stdout, cmd.Stderr = prefixed, prefixed
	proc, err := localserver.StartProcess(c.name, cmd, syscall.SIGTERM)
	if err != nil {
		return err
	}
	c.proc, c.startedAt = proc, time.Now()
	s.log.Info("started", "name", c.name, "pid", proc.Pid())
	return nil
}

// watch reports each exit of c and restarts it while it should run.
func (s *supervisor) watch(c *child) {
	defer s.watchers.Done()
	delay := restartDelayMin
	for {
		s.mu.Lock()
		proc, started := c.proc, c.startedAt
		s.mu.Unlock()
		err := proc.Err()
		if s.isStopping() {
			return
		}
		s.log.Error("child exited", "name", c.name, "pid", proc.Pid(), "status", exitStatus(err))
		select {
		case s.exited <- c.name:
		default:
		}
		if !c.restart {
			return
		}
		if time.Since(started) >= restartStableAfter {
			delay = restartDelayMin
		}
		if !s.restartAfter(c, delay) {
			return
		}
		delay = min(2*delay, restartDelayMax)
	}
}

// restartAfter waits delay and starts c again, retrying with a growing delay
// while it cannot be started. It reports false once the supervisor stops.
func (s *supervisor) restartAfter(c *child, delay time.Duration) bool {
	for {
		s.log.Info("restarting child", "name", c.name, "in", delay)
		select {
		case <-s.quit:
			return false
		case <-time.After(delay):
		}
		s.mu.Lock()
		err := s.spawnLocked(c)
		s.mu.Unlock()
		switch {
		case err == nil:
			return true
		case errors.Is(err, errSupervisorStopping):
			return false
		}
		s.log.Error("restarting child failed", "name", c.name, "err", err)
		delay = min(2*delay, restartDelayMax)
	}
}

func (s *supervisor) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// exitStatus describes how a process ended: "exit status 1",
// "signal: killed", or "exit status 0".
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Exited delivers the name of a child that exited on its own (a few are
// buffered; more are dropped when nobody reads).
func (s *supervisor) Exited() <-chan string { return s.exited }

// stopAll stops every child, newest first: SIGTERM, then a kill of its
// process group after grace. No child is restarted once it began; it
// returns when every child has exited. Idempotent.
func (s *supervisor) stopAll(grace time.Duration) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		s.watchers.Wait()
		return
	}
	s.stopping = true
	close(s.quit)
	procs := make([]*localserver.Process, len(s.children))
	for i, c := range s.children {
		procs[i] = c.proc
	}
	s.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(grace)
	}
	s.watchers.Wait()
}

// prefixWriter prefixes each line written through it. Safe for concurrent
// use by one child's stdout and stderr.
type prefixWriter struct {
	mu      sync.Mutex
	prefix  string
	w       io.Writer
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if !p.midLine {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.midLine = c != '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
