package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// field is one setting: a struct field with its flag name, help and the
// values it accepts.
type field struct {
	name  string   // flag name, YAML key
	help  string   // one line for --help
	enum  []string // allowed values, if restricted
	value reflect.Value
	// secret marks a value that must not need a command line: --help hides
	// its default, and a NAME-file companion field reads it from a file.
	secret bool
	// fileFor is set on the NAME-file companion of a secret field: this
	// field holds the path(s) and set also applies the file's content to
	// fileFor.
	fileFor *field
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// fieldsOf lists the tagged fields of the struct that settings points to,
// flattening anonymous structs.
func fieldsOf(settings any) ([]*field, error) {
	v := reflect.ValueOf(settings)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: settings must be a pointer to a struct, got %T", settings)
	}
	var out []*field
	err := collect(v.Elem(), &out)
	return out, err
}

func collect(v reflect.Value, out *[]*field) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if err := collect(v.Field(i), out); err != nil {
				return err
			}
			continue
		}
		name := sf.Tag.Get("flag")
		if name == "" {
			continue
		}
		f := &field{name: name, help: sf.Tag.Get("help"), value: v.Field(i)}
		if enum := sf.Tag.Get("enum"); enum != "" {
			f.enum = strings.Split(enum, ",")
		}
		if !supported(f.value) {
			return fmt.Errorf("config: field %s (--%s) has unsupported type %s", sf.Name, name, sf.Type)
		}
		*out = append(*out, f)
		if sf.Tag.Get("secret") == "true" {
			companion, err := secretFileField(f)
			if err != nil {
				return fmt.Errorf("config: field %s (--%s): %w", sf.Name, name, err)
			}
			*out = append(*out, companion)
		}
	}
	return nil
}

func supported(v reflect.Value) bool {
	if v.Addr().Type().Implements(textUnmarshaler) {
		return true
	}
	switch v.Interface().(type) {
	case string, bool, int, int64, float64, time.Duration, []string:
		return true
	}
	return false
}

// envName is the environment variable for the field.
func (f *field) envName() string {
	return "PIXCDN_" + strings.ToUpper(strings.ReplaceAll(f.name, "-", "_"))
}

// isBool reports whether the flag takes no value on the command line.
func (f *field) isBool() bool { return f.value.Kind() == reflect.Bool }

// set parses text into the field. For []string fields, appendMode adds to the
// list (repeated flags); otherwise text replaces it, split on commas.
func (f *field) set(text string, appendMode bool) error {
	if f.fileFor != nil {
		return f.setFile(text, appendMode)
	}
	if f.enum != nil && !slices.Contains(f.enum, text) {
		return fmt.Errorf("invalid value %q: allowed values are %s", text, strings.Join(f.enum, ", "))
	}
	if u, ok := f.value.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(text)); err != nil {
			return fmt.Errorf("invalid value: %w", err)
		}
		return nil
	}
	switch p := f.value.Addr().Interface().(type) {
	case *string:
		*p = text
	case *[]string:
		items := splitList(text)
		if appendMode {
			items = append(*p, items...)
		}
		*p = items
	case *time.Duration:
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("invalid value %q: want a duration such as 250ms, 5s or 2m", text)
		}
		*p = d
	default:
		return f.setNumber(text)
	}
	return nil
}

func (f *field) setNumber(text string) error {
	switch p := f.value.Addr().Interface().(type) {
	case *bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("invalid value %q: want true or false", text)
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("invalid value %q: want a whole number", text)
		}
		*p = n
	case *int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value %q: want a whole number", text)
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("invalid value %q: want a number", text)
		}
		*p = x
	}
	return nil
}

// String prints the field's current value as it would be written in a
// flag; a secret's value is never printed.
func (f *field) String() string {
	if f.secret {
		return ""
	}
	switch v := f.value.Interface().(type) {
	case []string:
		return strings.Join(v, ",")
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(f.value.Interface())
}

func splitList(text string) []string {
	var items []string
	for _, item := range strings.Split(text, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
