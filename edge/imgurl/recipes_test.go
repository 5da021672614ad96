package imgurl

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The JavaScript and Python recipes of docs/signing.md sign URLs exactly as
// SignURL and SignURLUntil do, and edges accept what they print (and refuse
// it once expired). Under CI a missing node or python3 fails the test.
func TestSigningRecipesAgreeWithTheVerifier(t *testing.T) {
	recipes := []struct{ interpreter, script string }{
		{"node", "../../docs/signing/sign.js"},
		{"python3", "../../docs/signing/sign.py"},
	}
	cases := []struct {
		key, path, query string
		exp              int64 // 0: none
	}{
		{"0123456789abcdef-key-one", "/acme/cats/tom.jpg", "w=400&fm=auto", 0},
		{"0123456789abcdef-key-one", "/acme/cats/tom.jpg", "", 0},
		{"0123456789abcdef-key-one", "/acme/caf%C3%A9.jpg", "fm=webp&w=320&dpr=2", 1_800_000_000},
		{"clé-0123456789abcdef ünïcode", "/acme/a%20b/c.png", "p=thumb&g=fp%3A0.5%2C0.2", 1_800_000_000},
		{"0123456789abcdef-key-one", "/t-1/x", "", 1_900_000_000},
	}
	for _, rec := range recipes {
		bin, err := exec.LookPath(rec.interpreter)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; CI must run the %s recipe", rec.interpreter, rec.script)
			}
			t.Skipf("%s is not installed", rec.interpreter)
		}
		// One process per key, signing its URLs from standard input.
		byKey := map[string][]int{}
		for i, c := range cases {
			byKey[c.key] = append(byKey[c.key], i)
		}
		for key, indexes := range byKey {
			var input strings.Builder
			want := make([]string, len(indexes))
			for j, i := range indexes {
				c := cases[i]
				input.WriteString(c.path)
				if c.query != "" {
					input.WriteString("?" + c.query)
				}
				want[j] = SignURL([]byte(key), c.path, c.query)
				if c.exp != 0 {
					input.WriteString(" " + strconv.FormatInt(c.exp, 10))
					want[j] = SignURLUntil([]byte(key), c.path, c.query, time.Unix(c.exp, 0))
				}
				input.WriteString("\n")
			}
			cmd := exec.Command(bin, rec.script)
			cmd.Env = append(os.Environ(), "PIXCDN_SIGN_KEY="+key)
			cmd.Stdin = strings.NewReader(input.String())
			out, err := cmd.Output()
			got := strings.Split(strings.TrimSpace(string(out)), "\n")
			if err != nil || len(got) != len(want) {
				t.Errorf("%s %s: %q, %v; want %d URLs", rec.interpreter, rec.script, out, err, len(want))
				continue
			}
			for j, i := range indexes {
				if got[j] != want[j] {
					t.Errorf("%s signed %s?%s as %q; want %q", rec.interpreter, cases[i].path, cases[i].query, got[j], want[j])
					continue
				}
				checkEdgeAccepts(t, key, got[j], cases[i].exp)
			}
		}
	}
}

// checkEdgeAccepts parses a signed URL as an edge requiring signatures
// does, before its expiry and (if it has one) at it.
func checkEdgeAccepts(t *testing.T, key, signed string, exp int64) {
	t.Helper()
	p := testParser(t, Config{SignKeys: [][]byte{[]byte(key)}, RequireSignature: true, Presets: map[string]string{"thumb": "w=100"}})
	rawPath, rawQuery, _ := strings.Cut(signed, "?")
	before := time.Unix(1_700_000_000, 0)
	if r, err := p.ParseAt(rawPath, rawQuery, before); err != nil || !r.Signed {
		t.Errorf("edge refused %q: %v", signed, err)
	}
	if exp == 0 {
		return
	}
	if _, err := p.ParseAt(rawPath, rawQuery, time.Unix(exp, 0)); !errors.Is(err, ErrSignature) {
		t.Errorf("edge accepted %q at its expiry: %v", signed, err)
	}
}
