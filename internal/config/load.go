package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrHelp is returned by Load when -h or --help was given; the usage has
// already been written to Spec.Output.
var ErrHelp = flag.ErrHelp

// Spec describes one command's settings.
type Spec struct {
	// Command is the name shown in messages, e.g. "pixcdn edge".
	Command string
	// Usage is the synopsis after the command name, e.g. "[flags] FILE…".
	Usage string
	// Summary is a paragraph printed by --help.
	Summary string
	// Settings points to the struct to fill; its current values are the
	// defaults.
	Settings any
	// Output receives --help text (default os.Stderr).
	Output io.Writer
	// Environ is the environment to read (default os.Environ()).
	Environ []string
}

// Load fills spec.Settings from the --config file, then PIXCDN_* variables,
// then the flags in args, and returns the positional arguments. Errors name
// the source and the key; environment variables that match no setting of this
// command are ignored, since one environment often serves several commands.
func Load(spec Spec, args []string) ([]string, error) {
	fields, err := fieldsOf(spec.Settings)
	if err != nil {
		return nil, err
	}
	if spec.Output == nil {
		spec.Output = os.Stderr
	}
	if spec.Environ == nil {
		spec.Environ = os.Environ()
	}
	parsed, err := parseFlags(spec, fields, args)
	if err != nil {
		return nil, err
	}
	if parsed.configFile != "" {
		if err := applyFile(parsed.configFile, fields); err != nil {
			return nil, err
		}
	}
	if err := applyEnv(spec.Environ, fields); err != nil {
		return nil, err
	}
	if err := parsed.apply(); err != nil {
		return nil, err
	}
	return parsed.rest, nil
}

// flagSetting is one flag as given on the command line, applied after the
// file and the environment so that flags win.
type flagSetting struct {
	field *field
	text  string
}

type parsedFlags struct {
	configFile string
	settings   []flagSetting
	rest       []string
}

func (p *parsedFlags) apply() error {
	given := map[*field]bool{}
	for _, s := range p.settings {
		given[s.field] = true
	}
	if err := oneFormPerLayer(given, func(f *field) string { return "--" + f.name }); err != nil {
		return err
	}
	seen := map[*field]bool{}
	for _, s := range p.settings {
		if err := s.field.set(s.text, seen[s.field]); err != nil {
			return fmt.Errorf("flag --%s: %w", s.field.name, err)
		}
		seen[s.field] = true
	}
	return nil
}

// recorder is a flag.Value that records what was given without applying it.
type recorder struct {
	field  *field
	parsed *parsedFlags
}

func (r recorder) String() string   { return "" }
func (r recorder) IsBoolFlag() bool { return r.field != nil && r.field.isBool() }
func (r recorder) Set(text string) error {
	if r.field.enum != nil && !slices.Contains(r.field.enum, text) {
		return fmt.Errorf("allowed values are %s", strings.Join(r.field.enum, ", "))
	}
	r.parsed.settings = append(r.parsed.settings, flagSetting{r.field, text})
	return nil
}

func parseFlags(spec Spec, fields []*field, args []string) (*parsedFlags, error) {
	parsed := &parsedFlags{}
	fs := flag.NewFlagSet(spec.Command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&parsed.configFile, "config", "", "")
	for _, f := range fields {
		fs.Var(recorder{field: f, parsed: parsed}, f.name, f.help)
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		writeUsage(spec, fields)
		return nil, ErrHelp
	}
	if err != nil {
		return nil, fmt.Errorf("%s (see %s --help)", err, spec.Command)
	}
	parsed.rest = fs.Args()
	return parsed, nil
}

func applyEnv(environ []string, fields []*field) error {
	given := map[*field]bool{}
	for _, f := range fields {
		for _, kv := range environ {
			if strings.HasPrefix(kv, f.envName()+"=") {
				given[f] = true
			}
		}
	}
	if err := oneFormPerLayer(given, func(f *field) string { return "environment " + f.envName() }); err != nil {
		return err
	}
	for _, f := range fields {
		prefix := f.envName() + "="
		for _, kv := range environ {
			if text, ok := strings.CutPrefix(kv, prefix); ok {
				if err := f.set(text, false); err != nil {
					return fmt.Errorf("environment %s: %w", f.envName(), err)
				}
			}
		}
	}
	return nil
}

func applyFile(path string, fields []*field) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config file %s: not valid YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s: want a mapping of setting names to values", path)
	}
	given := map[*field]bool{}
	for i := 0; i < len(root.Content); i += 2 {
		if j := slices.IndexFunc(fields, func(f *field) bool { return f.name == root.Content[i].Value }); j >= 0 {
			given[fields[j]] = true
		}
	}
	if err := oneFormPerLayer(given, func(f *field) string { return fmt.Sprintf("key %q", f.name) }); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		if err := applyNode(key.Value, value, fields); err != nil {
			return fmt.Errorf("config file %s line %d: key %q: %w", path, key.Line, key.Value, err)
		}
	}
	return nil
}

func applyNode(key string, value *yaml.Node, fields []*field) error {
	i := slices.IndexFunc(fields, func(f *field) bool { return f.name == key })
	if i < 0 {
		return fmt.Errorf("unknown key (known keys: %s)", knownKeys(fields))
	}
	f := fields[i]
	switch value.Kind {
	case yaml.ScalarNode:
		return f.set(value.Value, false)
	case yaml.SequenceNode:
		if _, isList := f.value.Interface().([]string); !isList {
			return errors.New("takes a single value, not a list")
		}
		f.clear()
		for _, item := range value.Content {
			if item.Kind != yaml.ScalarNode {
				return errors.New("list items must be single values")
			}
			if err := f.set(item.Value, true); err != nil {
				return err
			}
		}
		return nil
	default:
		return errors.New("takes a single value or a list, not a mapping")
	}
}

func knownKeys(fields []*field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}
