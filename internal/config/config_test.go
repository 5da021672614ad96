package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type logging struct {
	LogFormat string `flag:"log-format" enum:"text,json" help:"log format"`
}

type settings struct {
	logging
	Listen   string        `flag:"listen" help:"address"`
	Size     Bytes         `flag:"cache-size" help:"budget"`
	Timeout  time.Duration `flag:"timeout" help:"deadline"`
	Workers  int           `flag:"workers" help:"count"`
	Join     []string      `flag:"join" help:"seeds"`
	Verbose  bool          `flag:"verbose" help:"chatty"`
	Untagged string        // no flag tag: not a setting
}

func defaults() *settings {
	return &settings{logging: logging{LogFormat: "text"}, Listen: ":8080", Size: 1 << 30, Timeout: time.Second, Workers: 2}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLayersLaterWins(t *testing.T) {
	file := writeFile(t, "listen: ':9000'\ncache-size: 2GiB\njoin: [a:1, b:2]\nworkers: 7\n")
	got := defaults()
	rest, err := Load(Spec{Command: "t", Settings: got,
		Environ: []string{"PIXCDN_CACHE_SIZE=512MiB", "PIXCDN_WORKERS=9", "PIXCDN_UNRELATED=1"}},
		[]string{"--config", file, "--workers=3", "--join", "c:3", "--join", "d:4", "--verbose", "x.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.Listen, want.Size, want.Workers, want.Join, want.Verbose = ":9000", 512<<20, 3, []string{"c:3", "d:4"}, true
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if _, err := Load(Spec{Command: "t", Settings: defaults()}, []string{"--Untagged", "x"}); err == nil {
		t.Fatal("an untagged field was settable")
	}
	if !reflect.DeepEqual(rest, []string{"x.jpg"}) {
		t.Fatalf("rest = %v", rest)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name, file string
		env        []string
		args       []string
		want       []string
	}{
		{"unknown file key", "listen: x\ncache_sise: 1\n", nil, nil, []string{`key "cache_sise"`, "unknown key", "cache-size"}},
		{"bad size in file", "cache-size: -1\n", nil, nil, []string{`"cache-size"`, "not a size"}},
		{"enum in file", "log-format: xml\n", nil, nil, []string{"log-format", "text, json"}},
		{"bad env", "", []string{"PIXCDN_TIMEOUT=soon"}, nil, []string{"PIXCDN_TIMEOUT", "duration"}},
		{"bad flag", "", nil, []string{"--workers", "many"}, []string{"--workers", "whole number"}},
		{"unknown flag", "", nil, []string{"--nope"}, []string{"nope", "--help"}},
		{"enum flag", "", nil, []string{"--log-format=xml"}, []string{"log-format", "text, json"}},
		{"list for scalar", "listen: [a, b]\n", nil, nil, []string{`"listen"`, "single value"}},
		{"not a mapping", "- a\n", nil, nil, []string{"mapping"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeFile(t, tc.file)}, args...)
			}
			_, err := Load(Spec{Command: "t", Settings: defaults(), Environ: append(tc.env, "X=1")}, args)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestHelpListsEveryFlagWithDefault(t *testing.T) {
	var out bytes.Buffer
	_, err := Load(Spec{Command: "pixcdn t", Settings: defaults(), Output: &out, Environ: []string{}}, []string{"--help"})
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, w := range []string{"--config FILE", "--listen VALUE", "(default :8080)", "--cache-size SIZE", "(default 1GiB)",
		"--timeout DURATION", "(default 1s)", "[PIXCDN_CACHE_SIZE]", "one of: text, json", "--join LIST", "--verbose\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("help lacks %q:\n%s", w, out.String())
		}
	}
}

func TestParseBytes(t *testing.T) {
	good := map[string]Bytes{"0": 0, "4096": 4096, "512MiB": 512 << 20, "10GiB": 10 << 30, "1.5GB": 1_500_000_000, "2 KiB": 2048, "3M": 3 << 20}
	for in, want := range good {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "ten", "1XB", "+5", "1e30GiB", "NaN"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
	if s := Bytes(512 << 20).String(); s != "512MiB" {
		t.Errorf("String = %s", s)
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"512MiB", "1.5GB", "0", "-1", "1e9", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBytes(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseBytes(%q) = %d < 0", s, b)
		}
		if again, err := ParseBytes(b.String()); err != nil || again != b {
			t.Fatalf("round trip of %q: %d → %q → %d, %v", s, b, b.String(), again, err)
		}
	})
}
