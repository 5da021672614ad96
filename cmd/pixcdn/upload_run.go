package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pixcdn/origin/uploads/tusclient"
)

// uploader sends files one after another for `pixcdn upload`.
type uploader struct {
	s        *uploadSettings
	endpoint string
	client   *tusclient.Client
	stderr   io.Writer
}

// upload sends one file, resuming the upload remembered for it if the
// origin still has it.
func (u *uploader) upload(ctx context.Context, file, publicID string) (tusclient.Result, error) {
	f, err := os.Open(file)
	if err != nil {
		return tusclient.Result{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return tusclient.Result{}, err
	}
	state := u.statePath(file, publicID, info)
	meta := map[string]string{"public_id": publicID}
	if len(u.s.Tags) > 0 {
		meta["tags"] = strings.Join(u.s.Tags, ",")
	}
	p := &progress{w: u.stderr, name: publicID, quiet: u.s.Quiet, start: time.Now(), last: time.Now()}
	opts := tusclient.Options{
		ChunkSize: int(u.s.Chunk), ResumeURL: readState(state), OnProgress: p.update,
		OnURL: func(url string) { writeState(state, url) },
	}
	p.resumed = opts.ResumeURL != ""
	res, err := u.client.Upload(ctx, u.endpoint, f, info.Size(), meta, opts)
	if opts.ResumeURL != "" && isGone(err) {
		p.note("the origin no longer has the unfinished upload; starting again")
		opts.ResumeURL, p.resumed, p.base = "", false, 0
		res, err = u.client.Upload(ctx, u.endpoint, f, info.Size(), meta, opts)
	}
	if err != nil {
		return res, err
	}
	os.Remove(state)
	p.done(info.Size())
	return res, nil
}

func isGone(err error) bool {
	var se *tusclient.StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone)
}

// statePath is where the URL of this file's unfinished upload is kept: one
// file per origin, tenant, public_id and file version (path, size, mtime).
func (u *uploader) statePath(file, publicID string, info os.FileInfo) string {
	abs, _ := filepath.Abs(file)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n%d", u.endpoint, publicID, abs, info.Size(), info.ModTime().UnixNano())
	dir := u.s.StateDir
	if dir == "" {
		if cache, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(cache, "pixcdn", "uploads")
		} else {
			dir = filepath.Join(os.TempDir(), "pixcdn-uploads")
		}
	}
	return filepath.Join(dir, hex.EncodeToString(h.Sum(nil)[:16]))
}

func readState(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeState remembers an upload URL; failing to is only a lost resume.
func writeState(path, url string) {
	if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		_ = os.WriteFile(path, []byte(url+"\n"), 0o600)
	}
}

// progress reports one file's upload on stderr: one line rewritten in
// place at most twice a second on a terminal, a line every 2s elsewhere.
// Rates count only the bytes this run sent.
type progress struct {
	w       io.Writer
	name    string
	quiet   bool
	start   time.Time
	last    time.Time
	base    int64 // offset the upload had when this run began
	resumed bool  // the first update is the offset the origin already had
}

func (p *progress) update(sent, total int64) {
	if p.resumed {
		p.resumed, p.base, p.start = false, sent, time.Now()
		return
	}
	every, prefix, suffix := 2*time.Second, "", "\n"
	if isTerminal(p.w) {
		every, prefix, suffix = 500*time.Millisecond, "\r", "   "
	}
	if p.quiet || time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(sent) / float64(total)
	}
	fmt.Fprintf(p.w, "%s%s: %s / %s (%.0f%%) %s/s%s", prefix, p.name, mb(sent), mb(total), pct,
		mb(int64(rate(sent-p.base, p.start))), suffix)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *progress) note(msg string) {
	if !p.quiet {
		fmt.Fprintf(p.w, "\n%s: %s\n", p.name, msg)
	}
}

func (p *progress) done(size int64) {
	if p.quiet {
		return
	}
	prefix := ""
	if isTerminal(p.w) {
		prefix = "\r"
	}
	resumed := ""
	if p.base > 0 {
		resumed = fmt.Sprintf(", resumed at %s", mb(p.base))
	}
	fmt.Fprintf(p.w, "%s%s: %s uploaded in %v (%s/s%s)\n", prefix, p.name, mb(size-p.base),
		time.Since(p.start).Round(time.Millisecond), mb(int64(rate(size-p.base, p.start))), resumed)
}

func rate(n int64, since time.Time) float64 {
	return float64(n) / max(time.Since(since).Seconds(), 1e-3)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
