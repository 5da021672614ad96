package testenv

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Pid is the process id of the node's current process.
func (n *EdgeNode) Pid() int { return n.cmd.Process.Pid }

// RSS returns the resident set size of the node's process in bytes
// (VmRSS of /proc/PID/status).
func (n *EdgeNode) RSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", n.Pid()))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s: no VmRSS in /proc/%d/status", n.Name, n.Pid())
}

// Members returns the names of the members the node's /_cluster lists.
func (n *EdgeNode) Members() ([]string, error) {
	var v clusterView
	if err := getJSON("http://"+n.Internal+"/_cluster", &v); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(v.Members))
	for _, m := range v.Members {
		names = append(names, m.Name)
	}
	return names, nil
}

// WaitMembers polls the node's /_cluster every 10ms until it lists want
// members and returns when it first did, or an error after timeout.
func (n *EdgeNode) WaitMembers(want int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		names, err := n.Members()
		if err == nil && len(names) == want {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s lists %v (err %v) after %v, want %d members", n.Name, names, err, timeout, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
