package main

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"pixcdn/internal/config"
)

// TestExampleConfigsLoad loads every example under configs/ into the settings
// of the command its first line names ("# pixcdn edge — …"), so an example
// can never drift into unknown keys or invalid values. Secrets must come
// from files (KEY-file), never sit in an example; the test creates the files
// the examples name, with placeholder secrets, in a scratch working folder.
func TestExampleConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	more, _ := filepath.Glob("../../configs/*/*.yaml")
	files = append(files, more...)
	for i, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = abs
	}
	t.Chdir(t.TempDir())
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
		settings := cmd.newSettings()
		keys := exampleKeys(t, file)
		for _, secret := range secretKeys(reflect.TypeOf(settings).Elem()) {
			if values, inline := keys[secret]; inline && !urlsWithoutPassword(values) {
				t.Errorf("%s writes the secret %q itself; use %s-file", file, secret, secret)
			}
			for _, path := range keys[secret+"-file"] {
				writePlaceholderSecret(t, path)
			}
		}
		_, err := config.Load(config.Spec{Command: "pixcdn " + name, Settings: settings, Environ: []string{}},
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

// exampleKeys returns the top-level keys of a YAML settings file with their
// values (one, or a list).
func exampleKeys(t *testing.T, file string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	keys := map[string][]string{}
	for k, v := range doc {
		if list, ok := v.([]any); ok {
			for _, item := range list {
				keys[k] = append(keys[k], strings.TrimSpace(toString(item)))
			}
			continue
		}
		keys[k] = []string{toString(v)}
	}
	return keys
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// urlsWithoutPassword reports whether every value is a URL that carries no
// password, such as a PostgreSQL DSN whose password comes from PGPASSWORD:
// such a secret setting holds nothing secret.
func urlsWithoutPassword(values []string) bool {
	for _, v := range values {
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return false
		}
		if _, has := u.User.Password(); has {
			return false
		}
	}
	return true
}

// secretKeys lists the flag names of the fields tagged secret:"true".
func secretKeys(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			names = append(names, secretKeys(f.Type)...)
		} else if f.Tag.Get("secret") == "true" {
			names = append(names, f.Tag.Get("flag"))
		}
	}
	return names
}

// writePlaceholderSecret creates a secret file an example names, relative
// to the working folder.
func writePlaceholderSecret(t *testing.T, path string) {
	t.Helper()
	if filepath.IsAbs(path) {
		t.Errorf("example secret file %s: use a path relative to the working folder", path)
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
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
