package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md from the commands' --help")

const configurationDoc = "../../docs/configuration.md"

// TestConfigurationReferenceIsCurrent keeps docs/configuration.md equal to
// what `pixcdn COMMAND --help` prints, so the reference never drifts from the
// flags. Regenerate with: go test ./cmd/pixcdn -run ConfigurationReference -update-docs
func TestConfigurationReferenceIsCurrent(t *testing.T) {
	want := configurationReference(t)
	if *updateDocs {
		if err := os.WriteFile(configurationDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(configurationDoc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("docs/configuration.md is out of date (err %v); regenerate it with:\n"+
			"  go test ./cmd/pixcdn -run ConfigurationReference -update-docs", err)
	}
}

func configurationReference(t *testing.T) []byte {
	var doc bytes.Buffer
	doc.WriteString("# Configuration reference\n\n")
	doc.WriteString("Generated from `pixcdn COMMAND --help` by\n")
	doc.WriteString("`go test ./cmd/pixcdn -run ConfigurationReference -update-docs`; a test fails when it\n")
	doc.WriteString("drifts from the flags.\n\n")
	doc.WriteString("Every setting is a flag, a key of the YAML file given with `--config` (same name),\n")
	doc.WriteString("and a `PIXCDN_<NAME>` environment variable (upper case, `-` → `_`). Later wins:\n")
	doc.WriteString("file, then environment, then flags. Sizes take units (`512MiB`, `10GiB`), durations\n")
	doc.WriteString("Go's form (`250ms`, `5s`, `2m`), lists commas or repetition. Unknown keys and invalid\n")
	doc.WriteString("values stop the command with a line naming the key.\n")
	for _, c := range commands() {
		var help, stderr bytes.Buffer
		if code := runMain(context.Background(), []string{c.name, "--help"}, &help, &stderr); code != 0 {
			t.Fatalf("pixcdn %s --help: exit %d: %s", c.name, code, stderr.String())
		}
		fmt.Fprintf(&doc, "\n## pixcdn %s\n\n%s.\n\n```\n%s```\n", c.name, c.summary, help.String())
	}
	return doc.Bytes()
}
