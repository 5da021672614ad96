package deploy_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// flagTable is what one pixcdn subcommand accepts, as its --help prints it.
type flagTable struct {
	command     string
	flags       map[string]bool // names without "--", "config" included
	env         map[string]bool // every PIXCDN_* variable it reads
	secrets     map[string]bool // settings that have a NAME-file variant
	positionals map[string]bool // words its usage line allows after the flags
}

// configurationReference is generated from `pixcdn COMMAND --help`; a test
// in cmd/pixcdn fails when it differs, so it is the binary's flag table.
const configurationReference = "../docs/configuration.md"

var (
	sectionLine = regexp.MustCompile(`^## pixcdn ([a-z]+)$`)
	flagLine    = regexp.MustCompile(`^  --([a-z0-9-]+)`)
	envName     = regexp.MustCompile(`PIXCDN_[A-Z0-9][A-Z0-9_]*`)
	usageLine   = regexp.MustCompile(`^Usage: pixcdn [a-z]+ (.*)$`)
	usageWord   = regexp.MustCompile(`\[([a-z]+)\]`)
	fileHelp    = regexp.MustCompile(`read --([a-z0-9-]+) from FILE`)
)

// loadFlagTables parses the configuration reference into one table per
// subcommand.
func loadFlagTables(t *testing.T) map[string]*flagTable {
	t.Helper()
	f, err := os.Open(configurationReference)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tables := map[string]*flagTable{}
	var cur *flagTable
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := sectionLine.FindStringSubmatch(line); m != nil {
			cur = &flagTable{command: m[1], flags: map[string]bool{}, env: map[string]bool{},
				secrets: map[string]bool{}, positionals: map[string]bool{}}
			tables[m[1]] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if m := flagLine.FindStringSubmatch(line); m != nil {
			cur.flags[m[1]] = true
		}
		if m := fileHelp.FindStringSubmatch(line); m != nil {
			cur.secrets[m[1]] = true
		}
		if m := usageLine.FindStringSubmatch(line); m != nil {
			for _, w := range usageWord.FindAllStringSubmatch(m[1], -1) {
				if w[1] != "flags" {
					cur.positionals[w[1]] = true
				}
			}
		}
		for _, name := range envName.FindAllString(line, -1) {
			cur.env[strings.TrimRight(name, "_")] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"edge", "origin"} {
		if tables[c] == nil || len(tables[c].flags) < 5 {
			t.Fatalf("%s: no flag table for pixcdn %s", configurationReference, c)
		}
	}
	return tables
}

// envFor returns the variable that sets flag name.
func envFor(name string) string {
	return "PIXCDN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// flagForEnv returns the flag a PIXCDN_* variable sets, if any in table.
func (ft *flagTable) flagForEnv(env string) (string, bool) {
	for name := range ft.flags {
		if envFor(name) == env {
			return name, true
		}
	}
	return "", false
}

func TestFlagTableIsRead(t *testing.T) {
	tables := loadFlagTables(t)
	edge, origin := tables["edge"], tables["origin"]
	for _, want := range []string{"name", "public", "internal", "gossip", "join", "cache-dir", "cluster-secret-file"} {
		if !edge.flags[want] {
			t.Errorf("edge flag --%s not found", want)
		}
	}
	if !edge.secrets["cluster-secret"] || !origin.secrets["postgres"] || !origin.positionals["migrate"] {
		t.Errorf("secrets or positionals not read: edge %v, origin %v %v", edge.secrets, origin.secrets, origin.positionals)
	}
	if !origin.env["PIXCDN_POSTGRES_FILE"] || !origin.env["PIXCDN_ORIGIN_ADMIN_KEY"] {
		t.Errorf("origin variables not read: %v", origin.env)
	}
}
