// Package config loads a command's settings into a Go struct from three
// layers, later winning: a YAML file (--config), PIXCDN_* environment
// variables, then command-line flags. The struct's initial values are the
// defaults.
//
// Fields are described by tags:
//
//	CacheSize config.Bytes `flag:"cache-size" help:"disk cache budget"`
//	LogFormat string       `flag:"log-format" enum:"text,json" help:"log format"`
//
// The flag name is also the YAML key and, upper-cased with '-' → '_', the
// environment variable (PIXCDN_CACHE_SIZE). Supported field types: string,
// bool, int, int64, float64, time.Duration, []string (comma-separated or
// repeated), Bytes, and anything implementing encoding.TextUnmarshaler.
// Anonymous struct fields are flattened, so common settings can be shared.
//
// A string or []string field tagged secret:"true" is a secret, which never
// needs to sit on a command line (readable by every local user through ps
// and /proc):
//
//	ClusterSecret string `flag:"cluster-secret" secret:"true" help:"…"`
//
// adds the setting cluster-secret-file (flag --cluster-secret-file, YAML key,
// PIXCDN_CLUSTER_SECRET_FILE) naming a file to read the secret from, without
// its trailing line break; for a list, each non-empty line is one value and
// the setting takes several files. An unreadable or empty file is an error,
// and so is giving both forms in one layer; across layers the later wins as
// for any setting. --help never prints a secret's default, and errors name
// the file, never its content.
//
// Unknown YAML keys, unknown PIXCDN_ variables that match no flag of the
// command, and invalid values are errors that name the key and what it
// accepts. Only cmd/pixcdn uses this package.
package config
