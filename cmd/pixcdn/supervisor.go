package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// supervisor runs child processes of this binary for `pixcdn demo` and stops
// them all, in reverse order, when asked or when one of them exits. Safe for
// concurrent use.
type supervisor struct {
	mu       sync.Mutex
	children []*child
	exited   chan string // names of children that exited on their own
}

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func newSupervisor() *supervisor { return &supervisor{exited: make(chan string, 16)} }

// start runs `pixcdn args…` with its output prefixed by name on out. The child
// is killed if this process dies.
func (s *supervisor) start(name string, out io.Writer, env []string, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), env...)
	prefixed := &prefixWriter{prefix: name + " | ", w: out}
	cmd.Stdout, cmd.Stderr = prefixed, prefixed
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
		select {
		case s.exited <- name:
		default:
		}
	}()
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	return nil
}

// Exited delivers the name of a child that exited.
func (s *supervisor) Exited() <-chan string { return s.exited }

// stopAll sends SIGTERM to every child, newest first, and waits up to grace
// for each before killing it.
func (s *supervisor) stopAll(grace time.Duration) {
	s.mu.Lock()
	children := s.children
	s.children = nil
	s.mu.Unlock()
	for i := len(children) - 1; i >= 0; i-- {
		c := children[i]
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
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

// waitHTTP polls url until it answers 2xx or timeout passes.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := probeHTTP(ctx, url); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer in %s", url, timeout)
		case <-tick.C:
		}
	}
}
