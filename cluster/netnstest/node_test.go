package netnstest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"pixcdn/cluster"
)

// The node side: the test binary re-executed inside a node's namespace runs
// TestNetnsNodeHelper, which joins the cluster and answers one JSON line
// (prefixed "NETNS ") per command line on stdin.

const replyPrefix = "NETNS "

// status is a node's answer to "status".
type status struct {
	Name    string   `json:"name"`
	Version uint64   `json:"version"`
	Members []string `json:"members"`
	Agree   bool     `json:"agree"`  // every member advertises Version
	Digest  uint64   `json:"digest"` // hash of the owners of digestKeys keys
}

const digestKeys = 10000

func TestNetnsNodeHelper(t *testing.T) {
	if os.Getenv("PIXCDN_NETNS_NODE") == "" {
		t.Skip("helper process for TestNetnsPartitionAndHeal")
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName = os.Getenv("NETNS_NAME")
	cfg.BindAddr = os.Getenv("NETNS_BIND")
	cfg.InternalAddr = os.Getenv("NETNS_INTERNAL")
	cfg.Seeds = strings.FieldsFunc(os.Getenv("NETNS_SEEDS"), func(r rune) bool { return r == ',' })
	cfg.SecretKey = []byte("netns-test-key-0123456789abcdef!")
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	var received []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := cluster.Join(ctx, cfg, cluster.WithHandler(func(m []byte) {
		mu.Lock()
		defer mu.Unlock()
		received = append(received, string(m))
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	serve(c, os.Stdin, os.Stdout, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), received...)
	})
}

// serve answers commands until "quit" or EOF.
func serve(c *cluster.Cluster, in io.Reader, out io.Writer, received func() []string) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		var reply any
		switch cmd {
		case "status":
			reply = statusOf(c)
		case "broadcast":
			reply = errString(c.Broadcast([]byte(arg)))
		case "received":
			reply = received()
		case "stats":
			reply = c.Stats()
		case "quit":
			fmt.Fprintf(out, "%s%q\n", replyPrefix, errString(c.Close()))
			return
		default:
			reply = "unknown command " + cmd
		}
		b, _ := json.Marshal(reply)
		fmt.Fprintf(out, "%s%s\n", replyPrefix, b)
	}
}

func errString(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func statusOf(c *cluster.Cluster) status {
	r := c.Ring()
	s := status{Name: c.Self().Name, Version: r.Version(), Agree: true}
	for _, m := range r.Members() {
		s.Members = append(s.Members, m.Name)
		s.Agree = s.Agree && m.RingVersion == s.Version
	}
	d := xxhash.New()
	for i := range digestKeys {
		m, _ := r.Owner(fmt.Appendf(nil, "tenant/img-%d/w=400", i))
		_, _ = d.WriteString(m.Name + "\n")
	}
	s.Digest = d.Sum64()
	return s
}
