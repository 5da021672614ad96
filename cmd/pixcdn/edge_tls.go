package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"pixcdn/edge"
	"pixcdn/edge/certwatch"
)

// watchCertificate loads --tls-cert/--tls-key, if given, and keeps them
// watched until stop; without them the public port serves plain HTTP.
func (n *edgeNode) watchCertificate(s *edgeSettings, log *slog.Logger) error {
	if s.TLSCert == "" {
		return nil
	}
	w, err := certwatch.New(s.TLSCert, s.TLSKey, certwatch.DefaultInterval, log)
	if err != nil {
		return badUsage(fmt.Errorf("tls-cert: %w", err))
	}
	n.certs = w
	c := w.Certificate()
	log.Info("TLS on the public port", "cert", s.TLSCert, "serial", c.SerialNumber.String(), "names", c.DNSNames, "not_after", c.NotAfter)
	return nil
}

// servePublic serves the public port on ln, over TLS with the watched
// certificate if there is one, and the plain-HTTP redirect of
// --public-http. A listener's failure is sent to n.failed.
func (n *edgeNode) servePublic(s *edgeSettings, ln net.Listener) error {
	if n.certs == nil {
		go func() { n.failed <- n.srv.ServePublic(ln) }()
		return nil
	}
	if s.PublicHTTP != "" {
		plain, err := net.Listen("tcp", s.PublicHTTP)
		if err != nil {
			return fmt.Errorf("public-http: %w", err)
		}
		port := httpsPort(s, ln)
		go func() { n.failed <- n.srv.ServeRedirect(plain, port) }()
	}
	go func() { n.failed <- n.srv.ServePublicTLS(ln, edge.TLSConfig(n.certs.GetCertificate)) }()
	return nil
}

// httpsPort is the port the plain-HTTP redirect names: --https-port, or
// the port --public listens on.
func httpsPort(s *edgeSettings, public net.Listener) string {
	if s.HTTPSPort > 0 {
		return strconv.Itoa(s.HTTPSPort)
	}
	_, port, _ := net.SplitHostPort(public.Addr().String())
	return port
}
