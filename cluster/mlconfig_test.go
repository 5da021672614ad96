package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestSlogWriterMapsMemberlistLevels(t *testing.T) {
	cases := map[string]string{
		"[DEBUG] memberlist: Stream connection from=1.2.3.4": "level=DEBUG msg=\"Stream connection from=1.2.3.4\"",
		"[WARN] memberlist: Refuting a suspect message":      "level=WARN",
		"[ERR] memberlist: Failed to send ping":              "level=ERROR",
		"[ERR] memberlist: Conflicting address for n1.":      "level=WARN",
		"no prefix at all": "level=INFO msg=\"no prefix at all\"",
	}
	for line, want := range cases {
		var buf bytes.Buffer
		w := &slogWriter{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		if n, err := w.Write([]byte(line + "\n")); err != nil || n != len(line)+1 {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%q logged as %q, want %q", line, buf.String(), want)
		}
	}
}
