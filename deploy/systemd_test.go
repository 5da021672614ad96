package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const systemdDir = "systemd"

// unitFile is a systemd unit as key → values, in order, per section.
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", path, n, line)
			}
			u[section][key] = append(u[section][key], value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// readEnvFile reads KEY=VALUE lines of an example env file in systemd/.
func readEnvFile(t *testing.T, path string) []corev1.EnvVar {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env []corev1.EnvVar
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=VALUE: %q", path, line)
		}
		env = append(env, corev1.EnvVar{Name: key, Value: value})
	}
	return env
}

// hardening are the sandboxing options every unit must set.
var hardening = map[string]string{
	"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
	"PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictNamespaces": "yes",
	"SystemCallFilter": "@system-service",
}

// TestSystemdUnits checks each unit's command, variables (its own and its
// example env file's) and credentials against pixcdn's flag table.
func TestSystemdUnits(t *testing.T) {
	tables := loadFlagTables(t)
	units, _ := filepath.Glob(filepath.Join(systemdDir, "*.service"))
	if len(units) != 2 {
		t.Fatalf("units %v: want pixcdn-edge@.service and pixcdn-origin.service", units)
	}
	for _, path := range units {
		u := parseUnit(t, path)
		svc := u["Service"]
		if svc == nil || len(svc["ExecStart"]) != 1 {
			t.Errorf("%s: want one ExecStart in [Service]", path)
			continue
		}
		exec := strings.Fields(svc["ExecStart"][0])
		if len(exec) < 2 || filepath.Base(exec[0]) != "pixcdn" {
			t.Errorf("%s: ExecStart %q does not run pixcdn SUBCOMMAND", path, svc["ExecStart"][0])
			continue
		}
		c := corev1.Container{Command: exec[:1], Args: exec[1:]}
		for _, assignment := range svc["Environment"] {
			key, value, _ := strings.Cut(strings.Trim(assignment, `"`), "=")
			c.Env = append(c.Env, corev1.EnvVar{Name: key, Value: value})
		}
		for _, file := range svc["EnvironmentFile"] {
			example := filepath.Join(systemdDir, filepath.Base(strings.TrimPrefix(file, "-")))
			if _, err := os.Stat(example); err != nil {
				if !strings.HasPrefix(file, "-") {
					t.Errorf("%s: EnvironmentFile %s has no example %s", path, file, example)
				}
				continue
			}
			c.Env = append(c.Env, readEnvFile(t, example)...)
		}
		pc, errs := parsePixcdnContainer(path, nil, &c, tables)
		for _, err := range errs {
			t.Error(err)
		}
		if pc == nil {
			continue
		}
		checkCredentials(t, path, svc, pc)
		for flag := range listenFlags {
			if pc.table.flags[flag] && pc.settings[flag] == "" {
				t.Errorf("%s: --%s (%s) is not set: its default listens on loopback only", path, flag, envFor(flag))
			}
		}
		for key, want := range hardening {
			if got := svc[key]; len(got) == 0 || got[len(got)-1] != want {
				t.Errorf("%s: %s=%q, want %q", path, key, got, want)
			}
		}
	}
}

// checkCredentials requires every secret file setting to be a credential
// the unit loads (%d/NAME), and every loaded credential to be used.
func checkCredentials(t *testing.T, path string, svc map[string][]string, pc *pixcdnContainer) {
	t.Helper()
	loaded := map[string]bool{}
	for _, lc := range svc["LoadCredential"] {
		name, _, _ := strings.Cut(lc, ":")
		loaded[name] = false
	}
	for name := range pc.table.secrets {
		file, ok := pc.settings[name+"-file"]
		if !ok {
			continue
		}
		cred, isCred := strings.CutPrefix(file, "%d/")
		if _, known := loaded[cred]; !isCred || !known {
			t.Errorf("%s: %s_FILE=%s is not a credential the unit loads (LoadCredential=NAME:PATH, %%d/NAME)", path, envFor(name), file)
			continue
		}
		loaded[cred] = true
	}
	for name, used := range loaded {
		if !used {
			t.Errorf("%s: credential %s is loaded but no setting reads it", path, name)
		}
	}
	if !slices.Contains(svc["KillSignal"], "SIGTERM") {
		t.Errorf("%s: KillSignal must be SIGTERM, on which pixcdn shuts down gracefully", path)
	}
}
