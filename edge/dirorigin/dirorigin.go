// Package dirorigin is the zero-setup origin of an edge node: a folder with
// one subfolder per tenant, `dir:PATH` on the command line. Public ids are
// paths below the tenant's folder; nothing outside the folder can be read
// (ids are checked, and files are opened through an os.Root, which also
// refuses symlinks that lead out).
//
// Only raster images that the transform package reads are served: the
// format is sniffed from the bytes with transform.Probe and gives the
// Content-Type; the file name's extension is never trusted. SVG, HTML, XML
// and anything else unknown fail with edge.ErrUnsupported (415), a broken
// image header with edge.ErrUndecodable (422), so no file dropped into the
// folder reaches a browser as a document that can run script.
package dirorigin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"pixcdn/edge"
	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// Config configures an Origin.
type Config struct {
	// Root is the folder holding one folder per tenant. Required.
	Root string
	// MaxBytes bounds one original; larger files fail with
	// edge.ErrSourceTooLarge. Default 64 MiB.
	MaxBytes int64
	// CacheControl is the policy sent with every original. Default ""
	// (the edge's DefaultPolicy).
	CacheControl string
}

// DefaultConfig returns the defaults (Root still required).
func DefaultConfig() Config { return Config{MaxBytes: 64 << 20} }

// Validate reports an invalid config.
func (c Config) Validate() error {
	if c.Root == "" {
		return errors.New("dirorigin: Root is empty")
	}
	if c.MaxBytes < 1 {
		return errors.New("dirorigin: MaxBytes must be positive")
	}
	return nil
}

// Origin serves originals from a folder. Safe for concurrent use; Close
// releases the folder handle.
type Origin struct {
	cfg  Config
	root *os.Root
}

// New opens cfg.Root.
func New(cfg Config) (*Origin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("dirorigin: %w", err)
	}
	return &Origin{cfg: cfg, root: root}, nil
}

// Close releases the folder.
func (o *Origin) Close() error { return o.root.Close() }

// Fetch reads tenant/publicID. The ETag is the SHA-256 of the bytes, the
// version the file's modification time in nanoseconds, the Content-Type
// that of the sniffed format. Files that are not a raster image transform
// reads fail with edge.ErrUnsupported or edge.ErrUndecodable (see the
// package comment).
func (o *Origin) Fetch(ctx context.Context, tenant, publicID, ifNoneMatch string) (edge.Original, error) {
	if imgurl.CheckTenant(tenant) != nil || imgurl.CheckPublicID(publicID) != nil {
		return edge.Original{}, edge.ErrNotFound
	}
	if err := ctx.Err(); err != nil {
		return edge.Original{}, fmt.Errorf("%w: %w", edge.ErrOriginTimeout, err)
	}
	f, err := o.root.Open(path.Join(tenant, publicID))
	if err != nil {
		return edge.Original{}, classify(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return edge.Original{}, edge.ErrNotFound
	}
	if st.Size() > o.cfg.MaxBytes {
		return edge.Original{}, edge.ErrSourceTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(f, o.cfg.MaxBytes+1))
	if err != nil {
		return edge.Original{}, fmt.Errorf("%w: read: %w", edge.ErrOrigin, err)
	}
	if int64(len(body)) > o.cfg.MaxBytes {
		return edge.Original{}, edge.ErrSourceTooLarge
	}
	ct, err := contentType(body)
	if err != nil {
		return edge.Original{}, err
	}
	sum := sha256.Sum256(body)
	orig := edge.Original{
		ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, ContentType: ct,
		CacheControl: o.cfg.CacheControl, Visibility: "public",
		LastModified: st.ModTime().UTC(), Version: st.ModTime().UnixNano(),
	}
	if ifNoneMatch != "" && ifNoneMatch == orig.ETag {
		orig.NotModified = true
		return orig, nil
	}
	orig.Body = body
	return orig, nil
}

func classify(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return edge.ErrNotFound
	}
	// Escapes through symlinks and other refusals of os.Root are "not found"
	// too: the caller must not learn what lies outside the folder.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return edge.ErrNotFound
	}
	return fmt.Errorf("%w: %w", edge.ErrOrigin, err)
}

// contentType returns the MIME type of the raster format body holds, as
// transform.Probe reads it from the magic bytes and header. Other content
// wraps edge.ErrUnsupported; a header Probe cannot read wraps
// edge.ErrUndecodable.
func contentType(body []byte) (string, error) {
	m, err := transform.Probe(body)
	switch {
	case errors.Is(err, transform.ErrUnsupported):
		return "", fmt.Errorf("%w: %w", edge.ErrUnsupported, err)
	case err != nil:
		return "", fmt.Errorf("%w: %w", edge.ErrUndecodable, err)
	}
	return m.Format.ContentType(), nil
}
