package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"pixcdn/internal/localserver"
)

// stack starts the origin and the edges of the demo as child processes,
// once PostgreSQL and MinIO run.
type stack struct {
	settings *Config
	dir      string
	ports    Ports
	secrets  secretFiles
	pg       *localserver.Postgres
	minio    *localserver.MinIO
	sup      *supervisor
	log      *slog.Logger
	edgeKey  string
}

func (d *stack) originURL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.ports.Origin) }

// edgeURL is the public base URL of edge i (from 0).
func (d *stack) edgeURL(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", d.ports.Public[i])
}

// start runs the origin, fills it, then runs the edges.
func (d *stack) start(ctx context.Context) error {
	if err := d.startOrigin(ctx); err != nil {
		return err
	}
	if err := d.bootstrap(ctx); err != nil {
		return err
	}
	return d.startEdges(ctx)
}

func (d *stack) startOrigin(ctx context.Context) error {
	var edges []string
	for _, p := range d.ports.Internal {
		edges = append(edges, fmt.Sprintf("http://127.0.0.1:%d", p))
	}
	// The S3 URL carries MinIO's secret: written next to the other secrets
	// on every start, since MinIO's port may change between runs.
	s3 := url.URL{Scheme: "http", User: url.UserPassword(d.minio.AccessKey, d.minio.SecretKey), Host: d.minio.Endpoint, Path: "/pixcdn"}
	if err := os.WriteFile(d.secrets.file("s3-url"), []byte(s3.String()+"\n"), 0o600); err != nil {
		return err
	}
	err := d.sup.start("origin", d.settings.RestartOrigin, d.settings.Stdout, nil, "origin",
		"--listen", fmt.Sprintf("127.0.0.1:%d", d.ports.Origin),
		"--postgres", d.pg.DSN("postgres"), "--s3-file", d.secrets.file("s3-url"),
		"--admin-key-file", d.secrets.file("admin-key"),
		"--edges", strings.Join(edges, ","), "--purge-token-file", d.secrets.file("purge-token"),
		"--sign-key-file", d.secrets.file("sign-key"), "--console-edge-url", d.edgeURL(0),
		"--log-format", d.settings.LogFormat, "--log-level", d.settings.LogLevel)
	if err != nil {
		return err
	}
	d.log.Info("waiting for the origin", "url", d.originURL())
	return d.waitReady(ctx, d.originURL()+"/readyz", "origin")
}

// waitReady waits for url, failing early when a child exits meanwhile.
func (d *stack) waitReady(ctx context.Context, url, name string) error {
	done := make(chan error, 1)
	go func() { done <- localserver.WaitHTTP(ctx, url, 60*time.Second) }()
	select {
	case err := <-done:
		return err
	case exited := <-d.sup.Exited():
		return fmt.Errorf("%s exited while waiting for %s to start", exited, name)
	}
}

// bootstrap creates the tenant and an edge key, and uploads the samples. It
// is idempotent: an existing tenant and images are kept.
func (d *stack) bootstrap(ctx context.Context) error {
	t := d.settings.Tenant
	if _, err := d.originCall(ctx, http.MethodPost, "/v1/tenants", map[string]string{"id": t}, http.StatusConflict); err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	var err error
	if d.edgeKey, err = d.keyFile(ctx, "edge-key", "/v1/keys", "edge"); err != nil {
		return err
	}
	// An editor key of the tenant for the web console.
	if _, err := d.keyFile(ctx, "console-key", "/v1/"+t+"/keys", "editor"); err != nil {
		return err
	}
	if d.settings.NoSamples {
		return nil
	}
	return d.uploadSamples(ctx)
}

// keyFile returns the key kept in DIR/secrets/name, creating it first with
// POST path {"role":role} when the file is missing.
func (d *stack) keyFile(ctx context.Context, name, path, role string) (string, error) {
	keyPath := d.secrets.file(name)
	if b, err := os.ReadFile(keyPath); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	body, err := d.originCall(ctx, http.MethodPost, path, map[string]string{"role": role})
	if err != nil {
		return "", fmt.Errorf("create %s key: %w", role, err)
	}
	var key struct{ Key string }
	if err := json.Unmarshal(body, &key); err != nil || key.Key == "" {
		return "", fmt.Errorf("create %s key: unexpected answer %q", role, body)
	}
	return key.Key, os.WriteFile(keyPath, []byte(key.Key+"\n"), 0o600)
}

func (d *stack) uploadSamples(ctx context.Context) error {
	imgs, err := samples()
	if err != nil {
		return err
	}
	for _, s := range imgs {
		path := fmt.Sprintf("/v1/%s/images/%s?tags=%s", d.settings.Tenant, s.publicID, s.tags)
		if _, err := d.originCall(ctx, http.MethodPut, path, s.body); err != nil {
			return fmt.Errorf("upload %s: %w", s.publicID, err)
		}
	}
	d.log.Info("uploaded sample images", "tenant", d.settings.Tenant, "count", len(imgs))
	return nil
}

// originCall sends body (JSON for values, raw for []byte) with the admin key
// and returns the answer; 2xx and the statuses in alsoOK count as success.
func (d *stack) originCall(ctx context.Context, method, path string, body any, alsoOK ...int) ([]byte, error) {
	var payload []byte
	if raw, ok := body.([]byte); ok {
		payload = raw
	} else if body != nil {
		payload, _ = json.Marshal(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.originURL()+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+d.secrets.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 || slices.Contains(alsoOK, resp.StatusCode) {
		return answer, nil
	}
	return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(answer))
}

func (d *stack) startEdges(ctx context.Context) error {
	var seeds []string
	for _, p := range d.ports.Gossip {
		seeds = append(seeds, fmt.Sprintf("127.0.0.1:%d", p))
	}
	for i := range d.ports.Public {
		name := "edge" + strconv.Itoa(i+1)
		err := d.sup.start(name, d.settings.RestartEdges, d.settings.Stdout, nil, "edge",
			"--name", name,
			"--public", fmt.Sprintf("127.0.0.1:%d", d.ports.Public[i]),
			"--internal", fmt.Sprintf("127.0.0.1:%d", d.ports.Internal[i]),
			"--gossip", fmt.Sprintf("127.0.0.1:%d", d.ports.Gossip[i]),
			"--join", strings.Join(seeds, ","),
			"--origin", d.originURL(), "--origin-key-file", d.secrets.file("edge-key"),
			"--cache-dir", filepath.Join(d.dir, "cache", name), "--cache-size", "1GiB", "--mem-cache", "128MiB",
			"--cluster-secret-file", d.secrets.file("cluster-secret"), "--gossip-key-file", d.secrets.file("gossip-key"),
			"--purge-token-file", d.secrets.file("purge-token"), "--sign-key-file", d.secrets.file("sign-key"),
			"--log-format", d.settings.LogFormat, "--log-level", d.settings.LogLevel)
		if err != nil {
			return err
		}
	}
	for i, p := range d.ports.Internal {
		if err := d.waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", p), "edge"+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	return nil
}

func (d *stack) printURLs(w io.Writer) {
	t, p := d.settings.Tenant, d.ports
	fmt.Fprintf(w, "\n  PostgreSQL: %s\n  MinIO:      http://%s (access key %s, secret in %s)\n",
		d.pg.DSN("postgres"), d.minio.Endpoint, d.minio.AccessKey, d.secrets.file("minio-secret"))
	edge := fmt.Sprintf("http://127.0.0.1:%d", p.Public[0])
	fmt.Fprintf(w, "\npixcdn demo is running. Open in a browser:\n\n")
	fmt.Fprintf(w, "  %s/%s/photos/landscape.jpg?w=800            resized, AVIF/WebP/JPEG by Accept\n", edge, t)
	fmt.Fprintf(w, "  %s/%s/photos/portrait.jpg?w=300&h=300&fit=cover&g=smart\n", edge, t)
	fmt.Fprintf(w, "  %s/%s/logos/badge.png?w=200&fm=webp           alpha kept\n", edge, t)
	fmt.Fprintf(w, "  %s/console/                      web console: tenant %s, editor key in %s\n",
		d.originURL(), t, d.secrets.file("console-key"))
	fmt.Fprintf(w, "  http://127.0.0.1:%d/_cluster                    live cluster page: members, traffic, cache\n", p.Internal[0])
	fmt.Fprintf(w, "  http://127.0.0.1:%d/metrics                     Prometheus metrics\n\n", p.Internal[0])
	for i := range p.Public {
		fmt.Fprintf(w, "  edge%d: public http://127.0.0.1:%d  internal http://127.0.0.1:%d\n", i+1, p.Public[i], p.Internal[i])
	}
	fmt.Fprintf(w, "  origin: %s (admin key in %s)\n", d.originURL(), d.secrets.file("admin-key"))
	fmt.Fprintf(w, "  upload: pixcdn upload photo.jpg --origin %s --tenant %s --key-file %s\n\n",
		d.originURL(), t, d.secrets.file("admin-key"))
	fmt.Fprintln(w, "Try a node failure: kill an edge (its pid is logged when it starts); the others keep serving")
	fmt.Fprintln(w, "and it comes back within seconds (--restart-edges=false leaves it down).")
	fmt.Fprintln(w, "Ctrl-C stops everything.")
}
