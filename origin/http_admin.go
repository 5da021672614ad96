package origin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"pixcdn/contract"
)

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: bad JSON body: %v", ErrInvalid, err)
	}
	return nil
}

// purge: POST /v1/{tenant}/purge {"tags":["a"]} or {"prefix":"cats/"}.
func (s *Service) purge(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if _, err := s.authorize(r, WriteImages, tenant); err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Tags   []string `json:"tags"`
		Prefix string   `json:"prefix"`
	}
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, err)
		return
	}
	ev, err := s.Purge(r.Context(), tenant, body.Tags, body.Prefix)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, ev)
}

// createTenant: POST /v1/tenants {"id":"acme","cache_control":"…"}.
func (s *Service) createTenant(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authorize(r, ManageSystem, ""); err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		ID           string `json:"id"`
		CacheControl string `json:"cache_control"`
	}
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, err)
		return
	}
	t, err := s.CreateTenant(r.Context(), body.ID, body.CacheControl)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

// KeyInfo is the answer of GET /v1/{tenant}/key: what the presented key
// may do on the tenant, so a client (the console) offers only that.
type KeyInfo struct {
	Tenant string `json:"tenant"`
	Role   Role   `json:"role"`
	// Write says the key may change images (upload, edit, delete, purge,
	// sign URLs).
	Write bool `json:"write"`
}

// describeKey: GET /v1/{tenant}/key → KeyInfo, for any key that may read
// the tenant's images.
func (s *Service) describeKey(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	p, err := s.authorize(r, ReadImages, tenant)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, KeyInfo{Tenant: tenant, Role: p.Role, Write: p.Can(WriteImages, tenant)})
}

// createTenantKey: POST /v1/{tenant}/keys {"role":"editor"} → {"key":…}.
func (s *Service) createTenantKey(w http.ResponseWriter, r *http.Request) {
	s.createKey(w, r, r.PathValue("tenant"), ManageKeys)
}

// createSystemKey: POST /v1/keys {"role":"edge"} → {"key":…}.
func (s *Service) createSystemKey(w http.ResponseWriter, r *http.Request) {
	s.createKey(w, r, "", ManageSystem)
}

func (s *Service) createKey(w http.ResponseWriter, r *http.Request, tenant string, a Action) {
	if _, err := s.authorize(r, a, tenant); err != nil {
		writeError(w, err)
		return
	}
	var body struct {
		Role Role `json:"role"`
	}
	if err := decodeJSON(r, &body); err != nil {
		writeError(w, err)
		return
	}
	key, err := s.CreateKey(r.Context(), tenant, body.Role)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]string{"key": key, "tenant": tenant, "role": string(body.Role)})
}

// events: GET /v1/events?after=SEQ&wait=25s → {"events":[…],"last":SEQ}.
// last is the highest seq returned, or after when none was.
func (s *Service) events(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authorize(r, ReadEvents, ""); err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	after, err := strconv.ParseInt(q.Get("after"), 10, 64)
	if q.Get("after") == "" {
		after, err = 0, nil
	}
	wait := time.Duration(0)
	if q.Get("wait") != "" && err == nil {
		wait, err = time.ParseDuration(q.Get("wait"))
	}
	if err != nil || after < 0 || wait < 0 {
		writeError(w, fmt.Errorf("%w: after must be an integer ≥ 0 and wait a duration such as 25s", ErrInvalid))
		return
	}
	evs, err := s.Events(r.Context(), after, wait)
	if err != nil {
		writeError(w, err)
		return
	}
	if evs == nil {
		evs = []contract.Event{}
	}
	last := after
	if len(evs) > 0 {
		last = evs[len(evs)-1].Seq
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"events": evs, "last": last})
}

func (s *Service) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	writeText(w, http.StatusOK, "ready")
}
