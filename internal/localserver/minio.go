package localserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// MinIOConfig says where and how to run a local MinIO server.
type MinIOConfig struct {
	// Dir holds the objects (Dir/data) and the log (Dir/minio.log).
	Dir string
	// Port on 127.0.0.1 for the S3 API; 0 picks a free one.
	Port int
	// AccessKey and SecretKey are the root credentials (SecretKey ≥ 8 chars).
	AccessKey, SecretKey string
	// StartTimeout bounds start-up (default 60s when zero).
	StartTimeout time.Duration
}

// MinIO is a running local MinIO server.
type MinIO struct {
	*Process
	// Endpoint is host:port of the S3 API.
	Endpoint             string
	AccessKey, SecretKey string
}

// StartMinIO starts a MinIO server and returns once its liveness probe
// answers. The binary is looked up on PATH, then in $GOPATH/bin and
// $HOME/go/bin, where `make deps` installs it.
func StartMinIO(ctx context.Context, cfg MinIOConfig) (*MinIO, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	bin, err := findBinary("minio", goBinDirs()...)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "data"), 0o700); err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		if cfg.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	consolePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	endpoint := fmt.Sprintf("127.0.0.1:%d", cfg.Port)
	cmd := exec.Command(bin, "server", "--quiet", "--address", endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", consolePort), filepath.Join(cfg.Dir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+cfg.AccessKey, "MINIO_ROOT_PASSWORD="+cfg.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	logPath := filepath.Join(cfg.Dir, "minio.log")
	proc, err := start("minio", cmd, syscall.SIGTERM, logPath)
	if err != nil {
		return nil, err
	}
	m := &MinIO{Process: proc, Endpoint: endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey}
	if err := proc.waitReady(ctx, logPath, m.live); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *MinIO) live(ctx context.Context) error {
	return ProbeHTTP(ctx, "http://"+m.Endpoint+"/minio/health/live")
}

func goBinDirs() []string {
	var dirs []string
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		dirs = append(dirs, filepath.Join(gopath, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return dirs
}
