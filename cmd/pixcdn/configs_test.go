package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixcdn/internal/config"
)

// TestExampleConfigsLoad loads every example under configs/ into the settings
// of the command its first line names ("# pixcdn edge — …"), so an example
// can never drift into unknown keys or invalid values.
func TestExampleConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	more, _ := filepath.Glob("../../configs/*/*.yaml")
	files = append(files, more...)
	loaded := 0
	for _, file := range files {
		name := commandOfExample(t, file)
		if name == "" {
			continue // not a pixcdn settings file (Prometheus, alerts)
		}
		cmd, ok := findCommand(name)
		if !ok {
			t.Errorf("%s names unknown command %q", file, name)
			continue
		}
		_, err := config.Load(config.Spec{Command: "pixcdn " + name, Settings: cmd.newSettings(), Environ: []string{}},
			[]string{"--config", file})
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
		loaded++
	}
	if loaded < 3 {
		t.Fatalf("loaded %d example configs, want at least 3", loaded)
	}
}

func commandOfExample(t *testing.T, file string) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	rest, ok := strings.CutPrefix(line, "# pixcdn ")
	if !ok {
		return ""
	}
	return strings.Fields(rest)[0]
}
