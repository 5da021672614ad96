package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"pixcdn/internal/config"
	"pixcdn/origin/uploads/tusclient"
)

// uploadSettings configure `pixcdn upload`.
type uploadSettings struct {
	Origin   string        `flag:"origin" help:"origin base URL, e.g. http://127.0.0.1:8090"`
	Tenant   string        `flag:"tenant" help:"tenant to upload to"`
	Key      string        `flag:"key" secret:"true" help:"API key of an editor or admin of the tenant"`
	Tags     []string      `flag:"tags" help:"tags of the uploaded images, comma-separated"`
	ID       string        `flag:"id" help:"public_id of the image (one FILE only; default: --prefix + the file's name)"`
	Prefix   string        `flag:"prefix" help:"public_id prefix put before each file's name, e.g. cats/"`
	Chunk    config.Bytes  `flag:"chunk" help:"bytes per PATCH request; a failed request costs at most this much"`
	StateDir string        `flag:"state-dir" help:"where unfinished uploads are remembered so that a rerun resumes them (default: the user cache folder)"`
	Timeout  time.Duration `flag:"timeout" help:"timeout of each HTTP request"`
	Quiet    bool          `flag:"quiet" help:"print no progress"`
}

const uploadUsage = "FILE… --origin URL --tenant T --key-file F [--tags a,b] [flags]"

func uploadCommand() command {
	return command{
		name:    "upload",
		summary: "upload images to the origin, resumably, with progress",
		usage:   uploadUsage,
		description: `Uploads each FILE to the origin over tus (resumable uploads) as the image
--prefix + the file's name (or --id), with sha256-checked chunks. An
interrupted upload is remembered in --state-dir: running the same command
again continues where the origin stopped. Prints "public_id version etag" per
file on stdout and progress on stderr. Flags may come before or after the files.`,
		newSettings: func() any { return defaultUploadSettings() },
		run: func(ctx context.Context, s any, args []string) error {
			return runUpload(ctx, s.(*uploadSettings), args, os.Stdout, os.Stderr)
		},
	}
}

func defaultUploadSettings() *uploadSettings {
	return &uploadSettings{Chunk: 8 << 20, Timeout: 2 * time.Minute}
}

func runUpload(ctx context.Context, s *uploadSettings, args []string, stdout, stderr io.Writer) error {
	files, err := uploadFiles(s, args, stderr)
	if err != nil {
		return err
	}
	if err := s.validate(len(files)); err != nil {
		return badUsage(err)
	}
	endpoint, err := tusclient.Endpoint(s.Origin, s.Tenant)
	if err != nil {
		return badUsage(err)
	}
	u := &uploader{s: s, endpoint: endpoint, stderr: stderr,
		client: &tusclient.Client{HTTP: &http.Client{Timeout: s.Timeout}, Key: s.Key}}
	failed := 0
	for _, file := range files {
		res, err := u.upload(ctx, file, s.publicID(file))
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s %d %s\n", s.publicID(file), res.Version, res.ETag)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d uploads failed; run the command again to resume", failed, len(files))
	}
	return nil
}

// uploadFiles returns the file arguments, applying any flags that follow
// them (the flag package stops at the first file).
func uploadFiles(s *uploadSettings, args []string, stderr io.Writer) ([]string, error) {
	var files, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			if !strings.Contains(a, "=") && strings.TrimLeft(a, "-") != "quiet" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			files = append(files, a)
		}
	}
	if len(flags) == 0 {
		return files, nil
	}
	_, err := config.Load(config.Spec{Command: "pixcdn upload", Usage: uploadUsage, Settings: s, Output: stderr}, flags)
	if err != nil {
		return nil, badUsage(err)
	}
	return files, nil
}

func (s *uploadSettings) validate(files int) error {
	switch {
	case files == 0:
		return errors.New("no FILE to upload")
	case s.Origin == "" || s.Tenant == "" || s.Key == "":
		return errors.New("--origin, --tenant and --key (or --key-file, PIXCDN_KEY, PIXCDN_KEY_FILE) are required")
	case s.ID != "" && files > 1:
		return errors.New("--id names one image: give one FILE, or use --prefix")
	case s.Chunk < 1<<10:
		return errors.New("--chunk must be at least 1KiB")
	case s.Timeout <= 0:
		return errors.New("--timeout must be positive")
	}
	return nil
}

func (s *uploadSettings) publicID(file string) string {
	if s.ID != "" {
		return s.ID
	}
	return path.Join(s.Prefix, filepath.Base(file))
}
