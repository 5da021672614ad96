#!/bin/sh
# Multi-host cluster tests: five cluster nodes (and, in the second, five real
# edges on an origin), each with its own IP in
# its own network namespace, partitioned and healed (cluster/netnstest).
# Needs root and iproute2. Removes its namespaces on exit, even if the test
# binary is killed. Usage: scripts/netns/run.sh [extra go test flags]
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "netns test: must run as root (network namespaces)" >&2
	exit 1
fi
if ! command -v ip >/dev/null 2>&1; then
	echo "netns test: iproute2 missing (apt-get install iproute2)" >&2
	exit 1
fi

prefix="pxc$$-"
export PIXCDN_NETNS_TEST=1 PIXCDN_NETNS_PREFIX="$prefix"

cleanup() {
	for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$(dirname "$0")/../.."
go test -count=1 -timeout 10m -v -run '^(TestNetnsPartitionAndHeal|TestNetnsEdgesServeNoStaleVariantAfterHeal)$' "$@" ./cluster/netnstest/
