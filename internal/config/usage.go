package config

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

func writeUsage(spec Spec, fields []*field) {
	w := spec.Output
	fmt.Fprintf(w, "Usage: %s %s\n\n", spec.Command, spec.Usage)
	if spec.Summary != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(spec.Summary))
	}
	fmt.Fprintln(w, "Settings: each flag is also a key of the YAML --config file and a")
	fmt.Fprintln(w, "PIXCDN_<NAME> environment variable; flags win over the environment,")
	fmt.Fprintln(w, "which wins over the file.")
	if slices.ContainsFunc(fields, func(f *field) bool { return f.fileFor != nil }) {
		fmt.Fprintln(w, "Secrets also come from files (--NAME-file, PIXCDN_<NAME>_FILE), so none needs")
		fmt.Fprintln(w, "to sit on a command line, where any local user can read it.")
	}
	fmt.Fprintln(w)
	writeFlag(w, "--config FILE", "YAML file of settings", "", "")
	for _, f := range fields {
		synopsis := strings.TrimSpace("--" + f.name + " " + placeholder(f))
		writeFlag(w, synopsis, f.help, f.String(), f.envName())
		if f.enum != nil {
			fmt.Fprintf(w, "        one of: %s\n", strings.Join(f.enum, ", "))
		}
	}
}

func writeFlag(w io.Writer, synopsis, help, def, env string) {
	fmt.Fprintf(w, "  %s\n        %s", synopsis, help)
	// A help text that explains its own default ("default: the number of
	// CPUs") is not followed by the zero value that stands for it.
	if def != "" && !strings.Contains(help, "(default") {
		fmt.Fprintf(w, " (default %s)", def)
	}
	if env != "" {
		fmt.Fprintf(w, " [%s]", env)
	}
	fmt.Fprintln(w)
}

func placeholder(f *field) string {
	if f.fileFor != nil {
		return "FILE"
	}
	switch f.value.Interface().(type) {
	case bool:
		return ""
	case []string:
		return "LIST"
	case Bytes:
		return "SIZE"
	case time.Duration:
		return "DURATION"
	case int, int64, float64:
		return "N"
	}
	return "VALUE"
}
