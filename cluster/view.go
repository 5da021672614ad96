package cluster

import (
	"bytes"
	"sync"

	"github.com/hashicorp/memberlist"
)

// view is this node's copy of memberlist's live nodes, maintained from the
// event callbacks. memberlist hands out pointers to nodes it keeps mutating,
// so reading Members() outside its lock races; the callbacks run under that
// lock, so copying there is safe. Safe for concurrent use; every method takes
// only a short lock.
type view struct {
	mu    sync.Mutex
	nodes map[string]viewNode
}

type viewNode struct {
	addr string // gossip host:port
	meta []byte // private copy
}

// set records n as alive, copying what it needs.
func (v *view) set(n *memberlist.Node) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.nodes == nil {
		v.nodes = map[string]viewNode{}
	}
	v.nodes[n.Name] = viewNode{addr: n.Address(), meta: bytes.Clone(n.Meta)}
}

func (v *view) remove(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.nodes, name)
}

// snapshot returns a copy of the live nodes by name.
func (v *view) snapshot() map[string]viewNode {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]viewNode, len(v.nodes))
	for k, n := range v.nodes {
		out[k] = n
	}
	return out
}
