package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// TestInternalPprofNeedsTheClusterSecret starts real edge processes with
// their secrets on the command line, the worst case, and asks the internal
// port for /debug/pprof/cmdline: off by default it is refused even with the
// cluster secret; with --pprof it needs the secret as a Bearer token, and no
// refused answer ever shows a secret.
func TestInternalPprofNeedsTheClusterSecret(t *testing.T) {
	secrets := []string{testenv.EdgeClusterSecret, testenv.EdgePurgeToken}
	cases := []struct {
		name            string
		args            []string
		withoutSecret   int
		withSecret      int
		withWrongSecret int
	}{
		{"default: off", nil, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
		{"--pprof", []string{"--pprof"}, http.StatusUnauthorized, http.StatusOK, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := testenv.StartLoneEdge(t, "pprof", "dir:"+t.TempDir(), tc.args...)
			n.WaitReady(t, 60*time.Second)
			url := "http://" + n.Internal + "/debug/pprof/cmdline"
			for _, ask := range []struct {
				bearer string
				want   int
			}{{"", tc.withoutSecret}, {"wrong-secret-0123456789", tc.withWrongSecret}, {testenv.EdgeClusterSecret, tc.withSecret}} {
				status, body := getWithBearer(t, url, ask.bearer)
				if status != ask.want {
					t.Errorf("GET %s with bearer %q: %d, want %d", url, ask.bearer, status, ask.want)
				}
				if status != http.StatusOK {
					for _, s := range secrets {
						if strings.Contains(body, s) {
							t.Errorf("refused answer (%d) shows the secret %q: %q", status, s, body)
						}
					}
				} else if !strings.Contains(body, "edge") {
					t.Errorf("authorized cmdline %q does not show the command", body)
				}
			}
		})
	}
}

func getWithBearer(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
