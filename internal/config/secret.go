package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
)

// fileSuffix names the companion setting that reads a secret from a file:
// --cluster-secret-file, key cluster-secret-file, PIXCDN_CLUSTER_SECRET_FILE.
const fileSuffix = "-file"

// secretFileField returns the NAME-file companion of the secret field f.
// For a string field it holds one path; for a list field a list of paths.
func secretFileField(f *field) (*field, error) {
	var paths reflect.Value
	switch f.value.Interface().(type) {
	case string:
		paths = reflect.New(reflect.TypeFor[string]()).Elem()
	case []string:
		paths = reflect.New(reflect.TypeFor[[]string]()).Elem()
	default:
		return nil, errors.New(`the secret:"true" tag needs a string or []string field`)
	}
	f.secret = true
	help := fmt.Sprintf("read --%s from FILE, without its trailing newline", f.name)
	if f.isList() {
		help = fmt.Sprintf("read --%s from FILE, one value per line; repeatable", f.name)
	}
	return &field{name: f.name + fileSuffix, help: help, value: paths, fileFor: f}, nil
}

func (f *field) isList() bool { return f.value.Kind() == reflect.Slice }

// setFile records the path (a list of paths, comma-separated, for a list
// setting) in the companion field f and applies each file's content to
// f.fileFor: the whole content without its trailing line break for a
// string, each non-empty line for a list. With appendMode a list keeps its
// earlier values. Errors name the file, never its content.
func (f *field) setFile(text string, appendMode bool) error {
	if !f.isList() {
		f.value.SetString(text)
		return f.applyFile(text, false)
	}
	if !appendMode {
		f.clear()
	}
	for _, path := range splitList(text) {
		f.value.Set(reflect.Append(f.value, reflect.ValueOf(path)))
		if err := f.applyFile(path, true); err != nil {
			return err
		}
	}
	return nil
}

func (f *field) applyFile(path string, appendMode bool) error {
	target := f.fileFor
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the secret: %w", err)
	}
	text := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("secret file %s is empty", path)
	}
	if !target.isList() {
		return target.set(text, appendMode)
	}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimRight(line, "\r"); strings.TrimSpace(line) != "" {
			target.value.Set(reflect.Append(target.value, reflect.ValueOf(line)))
		}
	}
	return nil
}

// clear empties a list setting before a YAML list replaces it; for a file
// companion, the secret it fills too.
func (f *field) clear() {
	f.value.SetZero()
	if f.fileFor != nil {
		f.fileFor.value.SetZero()
	}
}

// oneFormPerLayer reports a secret given both as a value and as a file in
// one layer (flags, environment or config file); across layers the later
// one wins as for any setting. name spells a field as that layer does.
func oneFormPerLayer(given map[*field]bool, name func(*field) string) error {
	for f := range given {
		if f.fileFor != nil && given[f.fileFor] {
			return fmt.Errorf("%s and %s are both given: give the secret once, as a value or as a file",
				name(f.fileFor), name(f))
		}
	}
	return nil
}
