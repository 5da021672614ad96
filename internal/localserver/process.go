package localserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrBinaryMissing reports that a server binary is not installed; `make deps`
// installs it.
var ErrBinaryMissing = errors.New("server binary not found (run `make deps`)")

// Process is a running server child process. Stop is idempotent and safe for
// concurrent use.
type Process struct {
	name     string
	cmd      *exec.Cmd
	stopSig  syscall.Signal
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// StartProcess runs cmd as a child in its own process group, killed if this
// process dies (Pdeathsig), so a crashed test or demo leaves nothing behind.
// Stop sends stopSig first. The caller sets cmd's output.
func StartProcess(name string, cmd *exec.Cmd, stopSig syscall.Signal) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, stopSig: stopSig, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// start runs a server with its output appended to logPath.
func start(name string, cmd *exec.Cmd, stopSig syscall.Signal, logPath string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := StartProcess(name, cmd, stopSig)
	// The child holds its own copy of the file from here on.
	logFile.Close()
	return p, err
}

// Name is the name the process was started with.
func (p *Process) Name() string { return p.name }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Err waits for the process to exit and says how it ended: nil for exit
// status 0, otherwise the *exec.ExitError.
func (p *Process) Err() error {
	<-p.done
	return p.waitErr
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Stop asks the process to shut down with its stop signal and waits up to
// timeout before killing its whole process group. It returns once the
// process has exited.
func (p *Process) Stop(timeout time.Duration) {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(p.stopSig)
		select {
		case <-p.done:
		case <-time.After(timeout):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// waitReady polls ready until it returns nil, the process exits, or ctx ends.
func (p *Process) waitReady(ctx context.Context, logPath string, ready func(context.Context) error) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (log: %s): %v", p.name, logPath, p.waitErr)
		case <-ctx.Done():
			p.Stop(5 * time.Second)
			return fmt.Errorf("%s not ready (log: %s): %w", p.name, logPath, err)
		case <-tick.C:
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that no earlier call in this process returned. Ports come from below
// Linux's ephemeral range (32768 and up), so outgoing connections and ":0"
// listeners cannot take one between this check and the caller's bind; the
// start offset is random so parallel test processes rarely pick the same one.
func FreePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = make(map[int]bool)
	}
	const lowest, span = 10000, 32768 - 10000
	start := rand.IntN(span)
	for i := range span {
		port := lowest + (start+i)%span
		if handedOut.ports[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		handedOut.ports[port] = true
		return port, nil
	}
	return 0, errors.New("no free TCP port below 32768 on 127.0.0.1")
}

var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// findBinary looks for name on PATH, then in the extra directories.
func findBinary(name string, extraDirs ...string) (string, error) {
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	for _, dir := range extraDirs {
		matches, _ := filepath.Glob(filepath.Join(dir, name))
		for i := len(matches) - 1; i >= 0; i-- {
			if st, err := os.Stat(matches[i]); err == nil && !st.IsDir() {
				return matches[i], nil
			}
		}
	}
	return "", fmt.Errorf("%s: %w", name, ErrBinaryMissing)
}
