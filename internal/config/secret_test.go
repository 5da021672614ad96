package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type secretSettings struct {
	Listen  string   `flag:"listen" help:"address"`
	Token   string   `flag:"token" secret:"true" help:"bearer token"`
	SignKey []string `flag:"sign-key" secret:"true" help:"signing keys"`
}

func writeSecret(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadSecrets(env []string, args ...string) (*secretSettings, error) {
	s := &secretSettings{Listen: ":1", SignKey: []string{"default-key"}}
	_, err := Load(Spec{Command: "t", Settings: s, Environ: append(env, "X=1")}, args)
	return s, err
}

func TestSecretFromFileFlagEnvAndConfig(t *testing.T) {
	token := writeSecret(t, "token", "s3cr3t-token\n")
	tokenCRLF := writeSecret(t, "token-crlf", "crlf-token\r\n")
	keys := writeSecret(t, "keys", "key-one\n\nkey-two\n")
	more := writeSecret(t, "more", "key-three")
	yaml := writeFile(t, "token-file: "+token+"\nsign-key-file: ["+keys+"]\n")
	cases := []struct {
		name      string
		env, args []string
		token     string
		keys      []string
	}{
		{"flag", nil, []string{"--token-file", token}, "s3cr3t-token", []string{"default-key"}},
		{"flag with CRLF", nil, []string{"--token-file=" + tokenCRLF}, "crlf-token", []string{"default-key"}},
		{"env", []string{"PIXCDN_TOKEN_FILE=" + token}, nil, "s3cr3t-token", []string{"default-key"}},
		{"config file", nil, []string{"--config", yaml}, "s3cr3t-token", []string{"key-one", "key-two"}},
		{"list files repeat and append", nil, []string{"--sign-key-file", keys, "--sign-key-file", more}, "", []string{"key-one", "key-two", "key-three"}},
		{"list files from env", []string{"PIXCDN_SIGN_KEY_FILE=" + keys + "," + more}, nil, "", []string{"key-one", "key-two", "key-three"}},
		{"env value still works", []string{"PIXCDN_TOKEN=from-env"}, nil, "from-env", []string{"default-key"}},
		{"later layer wins over a file", []string{"PIXCDN_TOKEN=from-env"}, []string{"--config", yaml}, "from-env", []string{"key-one", "key-two"}},
		{"flag file wins over env value", []string{"PIXCDN_TOKEN=from-env"}, []string{"--token-file", token}, "s3cr3t-token", []string{"default-key"}},
		{"flag value wins over env file", []string{"PIXCDN_TOKEN_FILE=" + token}, []string{"--token", "from-flag"}, "from-flag", []string{"default-key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadSecrets(tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got.Token != tc.token || !reflect.DeepEqual(got.SignKey, tc.keys) {
				t.Fatalf("token %q keys %q; want %q %q", got.Token, got.SignKey, tc.token, tc.keys)
			}
		})
	}
}

func TestSecretFileErrorsNameTheKeyNotTheSecret(t *testing.T) {
	token := writeSecret(t, "token", "s3cr3t-token\n")
	empty := writeSecret(t, "empty", "\n")
	missing := filepath.Join(t.TempDir(), "missing")
	cases := []struct {
		name      string
		env, args []string
		want      []string
	}{
		{"value and file as flags", nil, []string{"--token", "x-value", "--token-file", token}, []string{"--token", "--token-file", "both"}},
		{"value and file in env", []string{"PIXCDN_TOKEN=x-value", "PIXCDN_TOKEN_FILE=" + token}, nil, []string{"PIXCDN_TOKEN", "PIXCDN_TOKEN_FILE", "both"}},
		{"value and file in config", nil, []string{"--config", writeFile(t, "token: x-value\ntoken-file: "+token+"\n")}, []string{`"token"`, `"token-file"`, "both"}},
		{"list value and file", nil, []string{"--sign-key", "x-value", "--sign-key-file", token}, []string{"--sign-key", "--sign-key-file"}},
		{"unreadable file", nil, []string{"--token-file", missing}, []string{"--token-file", missing}},
		{"empty file", nil, []string{"--token-file", empty}, []string{"--token-file", empty, "empty"}},
		{"empty file from env", []string{"PIXCDN_TOKEN_FILE=" + empty}, nil, []string{"PIXCDN_TOKEN_FILE", "empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSecrets(tc.env, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"s3cr3t-token", "x-value"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the secret %q", err, secret)
				}
			}
		})
	}
}

func TestHelpListsSecretFilesAndHidesSecretDefaults(t *testing.T) {
	var out bytes.Buffer
	s := &secretSettings{Token: "default-token-value"}
	_, err := Load(Spec{Command: "pixcdn t", Settings: s, Output: &out, Environ: []string{}}, []string{"--help"})
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, w := range []string{"--token VALUE", "[PIXCDN_TOKEN]", "--token-file FILE", "[PIXCDN_TOKEN_FILE]", "--sign-key-file FILE"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("help lacks %q:\n%s", w, out.String())
		}
	}
	if strings.Contains(out.String(), "default-token-value") {
		t.Errorf("help shows a secret's default:\n%s", out.String())
	}
}

func TestSecretTagOnUnsupportedTypeIsRejected(t *testing.T) {
	type bad struct {
		Workers int `flag:"workers" secret:"true"`
	}
	if _, err := Load(Spec{Command: "t", Settings: &bad{}, Environ: []string{}}, nil); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v, want a secret tag error", err)
	}
}
