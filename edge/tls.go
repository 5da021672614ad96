package edge

import (
	"crypto/tls"
	"net"
	"strings"

	"github.com/valyala/fasthttp"
)

// TLSConfig returns the public port's TLS settings around getCertificate
// (certwatch.Watch.GetCertificate: the certificate can change while the
// server runs): TLS 1.2 or later, TLS 1.2 only with forward-secret AEAD
// cipher suites, session resumption by tickets (crypto/tls rotates their
// keys), and HTTP/1.1 as the only application protocol offered over ALPN,
// since the public port speaks nothing else (HTTP/2 and HTTP/3 are a
// terminator's job, docs/deploy-tls.md).
func TLSConfig(getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		GetCertificate: getCertificate,
		MinVersion:     tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		SessionTicketsDisabled: false,
		NextProtos:             []string{"http/1.1"},
	}
}

// tlsWriteBufferBytes is the least write buffer of a TLS connection: one
// TLS record's payload, so that a response up to that size (header and
// body) is sealed as one record and sent with one write. With less, the
// header and the body go as two records and two writes (fasthttp cannot
// hand a TLS connection header and body as one writev).
const tlsWriteBufferBytes = 16 << 10

// ServePublicTLS serves the public port over TLS with cfg on ln until
// Close. It blocks. The per-address connection cap counts the TCP
// connections under TLS (a refused one is closed before its handshake),
// and the connection timeouts bound the handshake as they bound reading a
// request. Each connection's write buffer is at least 16 KiB.
func (s *Server) ServePublicTLS(ln net.Listener, cfg *tls.Config) error {
	srv := s.publicServer()
	srv.WriteBufferSize = max(srv.WriteBufferSize, tlsWriteBufferBytes)
	s.connLimit.Install(srv)
	return s.serve(s.connLimit.TLSListener(ln, cfg), srv)
}

// ServeRedirect serves plain HTTP on ln until Close, answering every
// request with a 308 to the same host and request URI over https on
// httpsPort ("" or "443": the scheme's default port). A request without a
// usable Host header gets a 400. It blocks. The per-address connection cap
// and the timeouts apply as on the public port.
func (s *Server) ServeRedirect(ln net.Listener, httpsPort string) error {
	l := s.cfg.Limits
	srv := &fasthttp.Server{
		Handler:                      func(ctx *fasthttp.RequestCtx) { redirectToHTTPS(ctx, httpsPort) },
		Name:                         serverName,
		ReadBufferSize:               l.MaxHeaderBytes,
		WriteBufferSize:              l.WriteBufferBytes,
		MaxRequestBodySize:           1 << 10,
		Concurrency:                  l.MaxConns,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		ErrorHandler:                 s.protocolError,
		Logger:                       fasthttpLogger{s.log},
	}
	s.connLimit.Install(srv)
	return s.serve(s.connLimit.Listener(ln), srv)
}

// redirectToHTTPS answers ctx with a 308 to https://HOST[:httpsPort]URI.
func redirectToHTTPS(ctx *fasthttp.RequestCtx, httpsPort string) {
	host, ok := redirectHost(string(ctx.Host()), httpsPort)
	if !ok {
		writeText(ctx, fasthttp.StatusBadRequest, "missing or malformed Host header")
		return
	}
	writeText(ctx, fasthttp.StatusPermanentRedirect, "use https")
	ctx.Response.Header.Set(fasthttp.HeaderLocation, "https://"+host+string(ctx.URI().RequestURI()))
}

// redirectHost is the authority of the https URL for a request's Host
// header: its host name or IP with httpsPort unless that is "" or "443".
// ok is false for an empty or malformed Host.
func redirectHost(hostHeader, httpsPort string) (string, bool) {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != "" {
		return "", false
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", false
	}
	if httpsPort == "" || httpsPort == "443" {
		if strings.Contains(host, ":") {
			return "[" + host + "]", true
		}
		return host, true
	}
	return net.JoinHostPort(host, httpsPort), true
}
