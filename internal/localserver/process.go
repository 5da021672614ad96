package localserver

import (
	"context"
	"errors"
	"fmt"
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

// start runs cmd as a child that is killed if this process dies
// (Pdeathsig), so a crashed test leaves no server behind.
func start(name string, cmd *exec.Cmd, stopSig syscall.Signal, logPath string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%s: start: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, stopSig: stopSig, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Stop asks the server to shut down fast and waits up to timeout before
// killing it.
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

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
