package origin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"pixcdn/contract"
)

// putImage: PUT /v1/{tenant}/images/{id...} with the raw bytes;
// ?tags=a,b&visibility=signed; If-Match / If-None-Match: *.
func (s *Service) putImage(w http.ResponseWriter, r *http.Request) {
	body := trackBody(r)
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, WriteImages, tenant); err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	if r.ContentLength > s.cfg.MaxUploadBytes {
		s.refuseUpload(w, r, body, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrTooLarge, r.ContentLength, s.cfg.MaxUploadBytes))
		return
	}
	opts, err := ingestOptions(r)
	if err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	im, err := s.Ingest(r.Context(), tenant, r.PathValue("id"), body, opts)
	s.writeIngested(w, r, body, im, err)
}

func ingestOptions(r *http.Request) (IngestOptions, error) {
	q := r.URL.Query()
	opts := IngestOptions{Visibility: Visibility(q.Get("visibility"))}
	if q.Has("tags") {
		opts.Tags = ParseTags(q.Get("tags"))
		if opts.Tags == nil {
			opts.Tags = []string{}
		}
	}
	opts.Cond = Precondition{IfMatch: r.Header.Get("If-Match")}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm != "*" {
			return opts, fmt.Errorf("%w: only If-None-Match: * is supported on writes", ErrInvalid)
		}
		opts.Cond.IfNoneMatchAny = true
	}
	return opts, nil
}

func (s *Service) writeIngested(w http.ResponseWriter, r *http.Request, body *uploadBody, im Image, err error) {
	if err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	body.untrack(r)
	w.Header().Set("ETag", im.ETag())
	w.Header().Set(contract.HeaderVersion, strconv.FormatInt(im.Version, 10))
	code := http.StatusOK
	if im.CreatedAt.Equal(im.UpdatedAt) {
		code = http.StatusCreated
	}
	writeJSON(w, code, im)
}

// postImage: POST /v1/{tenant}/images as multipart/form-data for
// browsers. The file part is streamed; public_id and tags come from the
// query or from form fields sent before the file; the file name is the
// public id when none is given.
func (s *Service) postImage(w http.ResponseWriter, r *http.Request) {
	body := trackBody(r)
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, WriteImages, tenant); err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.refuseUpload(w, r, body, fmt.Errorf("%w: want multipart/form-data: %v", ErrInvalid, err))
		return
	}
	opts, err := ingestOptions(r)
	if err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	publicID := r.URL.Query().Get("public_id")
	part, err := nextFilePart(mr, &publicID, &opts)
	if err != nil {
		s.refuseUpload(w, r, body, err)
		return
	}
	defer part.Close()
	if publicID == "" {
		publicID = part.FileName()
	}
	im, err := s.Ingest(r.Context(), tenant, publicID, part, opts)
	s.writeIngested(w, r, body, im, err)
}

// maxFormFields bounds the fields read before the file part.
const maxFormFields = 16

// nextFilePart reads form fields (at most maxFormFields, 8 KiB each) up to
// the first file part.
func nextFilePart(mr *multipart.Reader, publicID *string, opts *IngestOptions) (*multipart.Part, error) {
	for range maxFormFields + 1 {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: no file part", ErrInvalid)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: bad multipart body: %v", ErrInvalid, err)
		}
		if part.FileName() != "" {
			return part, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, 8192))
		part.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: bad multipart body: %v", ErrInvalid, err)
		}
		switch part.FormName() {
		case "public_id":
			*publicID = string(value)
		case "tags":
			opts.Tags = ParseTags(string(value))
		case "visibility":
			opts.Visibility = Visibility(value)
		}
	}
	return nil, fmt.Errorf("%w: more than %d form fields before the file", ErrInvalid, maxFormFields)
}

// getImage: GET /v1/{tenant}/images/{id...} → metadata JSON.
func (s *Service) getImage(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, ReadImages, tenant); err != nil {
		writeError(w, err)
		return
	}
	im, err := s.Image(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("ETag", im.ETag())
	writeJSON(w, http.StatusOK, im)
}

// patchImage: PATCH /v1/{tenant}/images/{id...} with
// {"tags":[…],"metadata":{…},"visibility":"signed"} (any subset).
func (s *Service) patchImage(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, WriteImages, tenant); err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Tags       *[]string       `json:"tags"`
		Metadata   json.RawMessage `json:"metadata"`
		Visibility *Visibility     `json:"visibility"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, fmt.Errorf("%w: bad JSON body: %v", ErrInvalid, err))
		return
	}
	p := Patch{Tags: body.Tags, Visibility: body.Visibility}
	if len(body.Metadata) > 0 {
		p.Metadata = body.Metadata
	}
	im, err := s.Patch(r.Context(), tenant, r.PathValue("id"), p)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, im)
}

// deleteImage: DELETE /v1/{tenant}/images/{id...} (If-Match honoured).
func (s *Service) deleteImage(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, WriteImages, tenant); err != nil {
		writeError(w, err)
		return
	}
	cond := Precondition{IfMatch: r.Header.Get("If-Match")}
	if err := s.Delete(r.Context(), tenant, r.PathValue("id"), cond); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listImages: GET /v1/{tenant}/images?tag=&prefix=&limit=&cursor=.
func (s *Service) listImages(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, ReadImages, tenant); err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, fmt.Errorf("%w: limit must be a positive integer", ErrInvalid))
			return
		}
		limit = n
	}
	page, err := s.List(r.Context(), tenant, q.Get("tag"), q.Get("prefix"), q.Get("cursor"), limit)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
