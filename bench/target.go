package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ErrRemoteTarget reports a target outside loopback and private address
// space while remote targets are not allowed: we only load machines we own.
var ErrRemoteTarget = errors.New("bench: target is not a loopback or private address (pass --allow-remote to load it)")

// ErrBadTarget reports a target that is not an http(s) base URL.
var ErrBadTarget = errors.New("bench: bad target URL")

// Target is one parsed edge base URL.
type Target struct {
	URL    string // as given, without a trailing slash
	Scheme string // "http" or "https"
	Host   string // host:port to dial
	Header string // Host header: host[:port] as given
}

// ParseTarget parses an edge base URL such as "http://127.0.0.1:8080".
// A path other than "/" is refused: workloads supply the paths.
func ParseTarget(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %q: %v", ErrBadTarget, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return Target{}, fmt.Errorf("%w: %q: want http(s)://HOST[:PORT]", ErrBadTarget, raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return Target{}, fmt.Errorf("%w: %q: only scheme, host and port are allowed", ErrBadTarget, raw)
	}
	host := u.Host
	if u.Port() == "" {
		port := map[string]string{"http": "80", "https": "443"}[u.Scheme]
		host = net.JoinHostPort(u.Hostname(), port)
	}
	return Target{URL: u.Scheme + "://" + u.Host, Scheme: u.Scheme, Host: host, Header: u.Host}, nil
}

// CheckLocal returns ErrRemoteTarget unless every address host resolves to
// is loopback or private (RFC 1918, RFC 4193). host may carry a port.
func CheckLocal(ctx context.Context, host string) error {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	addrs, err := lookup(ctx, name)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadTarget, name, err)
	}
	for _, a := range addrs {
		if !localAddr(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrRemoteTarget, name, a)
		}
	}
	return nil
}

func lookup(ctx context.Context, name string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	return addrs, err
}

func localAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate()
}
