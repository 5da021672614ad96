package origin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"pixcdn/contract"
)

// getOriginal: GET|HEAD /v1/{tenant}/originals/{id...} → the bytes with a
// strong ETag, Last-Modified, the tenant's Cache-Control and the Pixcdn-*
// headers; If-None-Match / If-Modified-Since → 304 with the same headers;
// Range → 206.
func (s *Service) getOriginal(w http.ResponseWriter, r *http.Request) {
	tenant, id := r.PathValue("tenant"), r.PathValue("id")
	if _, err := s.authorize(r, ReadOriginals, tenant); err != nil {
		writeError(w, err)
		return
	}
	im, err := s.Image(r.Context(), tenant, id)
	if err != nil {
		writeError(w, err)
		return
	}
	policy, err := s.tenantPolicy(r.Context(), tenant)
	if err != nil {
		writeError(w, err)
		return
	}
	setOriginalHeaders(w.Header(), im, policy)
	if notModified(r, im) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Accept-Ranges", "bytes")
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.FormatInt(im.Bytes, 10))
		return
	}
	s.serveBytes(w, r, im)
}

func setOriginalHeaders(h http.Header, im Image, cacheControl string) {
	h.Set("ETag", im.ETag())
	h.Set("Last-Modified", im.UpdatedAt.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", contentType(im.Format))
	h.Set("Cache-Control", cacheControl)
	h.Set(contract.HeaderVersion, strconv.FormatInt(im.Version, 10))
	h.Set(contract.HeaderVisibility, string(im.Visibility))
	if len(im.Tags) > 0 {
		h.Set(contract.HeaderTags, contract.JoinTags(im.Tags))
	}
	h.Set("X-Content-Type-Options", "nosniff")
}

// notModified evaluates If-None-Match, or If-Modified-Since without it.
func notModified(r *http.Request, im Image) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagListHasWeak(inm, im.ETag())
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && !im.UpdatedAt.Truncate(time.Second).After(ims)
}

// serveBytes streams the blob; ranged requests go through
// http.ServeContent. Nothing is written before the first bytes arrive, so
// a storage failure still gets a proper status.
func (s *Service) serveBytes(w http.ResponseWriter, r *http.Request, im Image) {
	obj, err := s.blobs.Open(r.Context(), im.BlobKey())
	if err != nil {
		writeError(w, err)
		return
	}
	defer obj.Close()
	if r.Header.Get("Range") != "" {
		http.ServeContent(w, r, "", im.UpdatedAt, &sizedSeeker{r: obj, size: im.Bytes, settled: true})
		return
	}
	first := make([]byte, min(im.Bytes, 32<<10))
	if _, err := io.ReadFull(obj, first); err != nil {
		writeError(w, blobErr(err))
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(im.Bytes, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(first); err == nil {
		_, _ = io.Copy(w, obj) // the client went away, or storage failed mid-body
	}
}

// blobErr turns a short read of a catalogued blob, or its absence, into
// an outage of the blob store; its cause is kept as text only, so a
// missing object is not mistaken for an unknown image (404).
func blobErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrBlobsUnavailable, err)
	}
	return err
}

// sizedSeeker knows its length from the catalog and defers seeking the
// underlying object until the first Read, so http.ServeContent's probing
// seeks cost no round trip and the object is fetched once, from the range
// start.
type sizedSeeker struct {
	r       io.ReadSeeker
	size    int64
	pos     int64
	settled bool // the underlying reader is at pos
}

func (s *sizedSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.size
	default:
		return 0, errors.New("origin: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("origin: negative seek")
	}
	if offset != s.pos {
		s.pos, s.settled = offset, false
	}
	return offset, nil
}

func (s *sizedSeeker) Read(p []byte) (int, error) {
	if !s.settled {
		if _, err := s.r.Seek(s.pos, io.SeekStart); err != nil {
			return 0, err
		}
		s.settled = true
	}
	n, err := s.r.Read(p)
	s.pos += int64(n)
	return n, err
}
