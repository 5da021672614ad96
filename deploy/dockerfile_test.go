package deploy_test

import (
	"os"
	"strings"
	"testing"
)

// The image the manifests run is the repository's Dockerfile: its final
// stage must install libvips, put the binary on PATH as "pixcdn" (what
// every container's command calls), start it as its entrypoint, and not
// run as root.
func TestDockerfileBuildsTheImageTheManifestsRun(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(b), "\nFROM ")
	final := stages[len(stages)-1]
	for _, want := range []string{
		"libvips42",
		"/usr/local/bin/pixcdn",
		`ENTRYPOINT ["pixcdn"]`,
	} {
		if !strings.Contains(final, want) {
			t.Errorf("the Dockerfile's final stage lacks %q", want)
		}
	}
	user := ""
	for line := range strings.SplitSeq(final, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "USER "); ok {
			user = strings.TrimSpace(v)
		}
	}
	if user == "" || user == "root" || user == "0" {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	if len(stages) < 2 || !strings.Contains(stages[len(stages)-2], "go build") {
		t.Error("the Dockerfile does not build the binary")
	}
}
