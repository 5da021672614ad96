// Package netnstest holds the multi-host cluster test: each node is a
// separate process with its own IP address in its own Linux network
// namespace, wired to a bridge in a switch namespace. The tests partition the
// cluster with blackhole routes and heal it: one with cluster nodes only, one
// with real `pixcdn edge` processes on a stub origin (originals and the event
// feed), checking that no stale variant is served after the heal. It needs root and iproute2 and
// runs only with PIXCDN_NETNS_TEST=1; use scripts/netns/run.sh (make
// netns-test), which also removes the namespaces if the test binary dies.
package netnstest
