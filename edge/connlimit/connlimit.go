// Package connlimit caps a fasthttp server's concurrent connections per
// client address without wrapping the connections.
//
// fasthttp's own cap (Server.MaxConnsPerIP) wraps every connection in a
// counting net.Conn, which puts an indirect call and a separate object on
// every read and write of the hit path, and it counts each IPv6 address
// apart, which does not bound a client holding a /64. A Limit instead
// counts in the listener's Accept, hands fasthttp the *net.TCPConn itself,
// and releases the count from fasthttp's ConnState hook when the
// connection closes (fasthttp reports StateClosed or StateHijacked exactly
// once for every connection its listener returned).
//
// An address is an IPv4 address, or the /64 prefix of an IPv6 address
// (one client's usual allocation). A connection over the cap is answered
// with a 429 and closed; on a TLS listener it is closed before its
// handshake.
//
// A TLS listener (TLSListener) counts the TCP connection in Accept, before
// the handshake, and fasthttp reports the *tls.Conn over it to ConnState:
// its RemoteAddr is the TCP connection's, so the same address is released.
package connlimit

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/edge/clientquota"
)

// Limit counts the open connections per client address of the listeners
// it wraps. Safe for concurrent use.
type Limit struct {
	open *clientquota.Quota // open connections per client address
}

// New returns a Limit of max connections per address (max ≥ 1).
func New(max int) *Limit {
	return &Limit{open: clientquota.New(max)}
}

// Refused counts the connections refused so far.
func (l *Limit) Refused() int64 { return l.open.Refused() }

// Listener wraps ln: its Accept answers connections over the cap with a
// 429 and closes them, and returns the others unwrapped.
func (l *Limit) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, limit: l} }

// TLSListener wraps ln like Listener and serves TLS on it with cfg. A
// connection over the cap is closed before its handshake, unanswered: a
// TLS client cannot read a plain-text 429, and the handshake is the
// costliest part of a connection to serve. fasthttp makes the handshake on
// the connection's own goroutine, never in Accept.
func (l *Limit) TLSListener(ln net.Listener, cfg *tls.Config) net.Listener {
	return tls.NewListener(&listener{Listener: ln, limit: l, silent: true}, cfg)
}

// Install makes l release a connection's count when srv closes it: it
// hooks srv.ConnState, calling any hook already set. Call it before srv
// serves, and serve only l's listeners with srv.
func (l *Limit) Install(srv *fasthttp.Server) {
	next := srv.ConnState
	srv.ConnState = func(c net.Conn, s fasthttp.ConnState) {
		if s == fasthttp.StateClosed || s == fasthttp.StateHijacked {
			l.release(c)
		}
		if next != nil {
			next(c, s)
		}
	}
}

// admit counts c if its address is under the cap; connections that are
// not TCP are not counted.
func (l *Limit) admit(c net.Conn) bool {
	a, _ := addressOf(c)
	return l.open.Acquire(a)
}

func (l *Limit) release(c net.Conn) {
	a, _ := addressOf(c)
	l.open.Release(a)
}

// addressOf is the counted address of c's peer.
func addressOf(c net.Conn) (netip.Addr, bool) {
	tcp, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	return ClientOf(tcp.IP)
}

// ClientOf is the address that stands for one client: an IPv4 address
// (IPv4-mapped addresses unmapped) or an IPv6 /64. ok is false for a
// malformed ip.
func ClientOf(ip net.IP) (client netip.Addr, ok bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, false
	}
	if a = a.Unmap(); a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return a, true
}

type listener struct {
	net.Listener
	limit  *Limit
	silent bool // close refused connections without the 429
}

// refusal is the whole answer to a connection over the cap. Like every
// answer of the public port it forbids sniffing and script (the edge's
// tests hold its Content-Security-Policy to the edge's own).
var refusal = func() []byte {
	body := "too many connections from your address\n"
	return []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; sandbox\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body)
}()

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ln.limit.admit(c) {
			return c, nil
		}
		if ln.silent {
			_ = c.Close()
			continue
		}
		// A new socket's send buffer is empty: this write does not wait
		// for the client, and the deadline makes sure of it.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(refusal)
		_ = c.Close()
	}
}
