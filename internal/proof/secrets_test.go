package proof

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// homeSecret is the home org's client secret in the secrets test: fake,
// and full of characters that URL encoding and Basic encoding change.
const homeSecret = "pr00f s3cret+/=&%?~NOT-A-REAL-SECRET"

// tokenLog records every bearer token a server was sent.
type tokenLog struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func (l *tokenLog) see(r *http.Request) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens == nil {
		l.tokens = map[string]bool{}
	}
	l.tokens[tok] = true
}

func (l *tokenLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.tokens))
	for t := range l.tokens {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// recording wraps h, logging the bearer tokens of its requests.
func recording(h http.Handler, l *tokenLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.see(r)
		h.ServeHTTP(w, r)
	})
}

// echoServer is a hostile service that quotes the credentials it was sent
// back in its error bodies. With failToken the token endpoint refuses the
// client with a body quoting the Basic header and the id and secret it
// decodes from it; otherwise it issues bearer tokens, and every API request
// fails with a 400 whose body quotes the Authorization header.
func echoServer(t *testing.T, failToken bool, l *tokenLog) *httptest.Server {
	var n int
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.see(r)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("inin-correlation-id", "00000000-0000-4000-8000-0000000000ec")
		auth := r.Header.Get("Authorization")
		if r.URL.Path == "/oauth/token" {
			if failToken {
				// The Basic header holds the form-encoded id and secret.
				id, encoded, _ := r.BasicAuth()
				secret, _ := url.QueryUnescape(encoded)
				w.WriteHeader(http.StatusUnauthorized)
				enc := json.NewEncoder(w)
				enc.SetEscapeHTML(false) // quote the secret as it is
				_ = enc.Encode(map[string]string{
					"error": "invalid_client",
					"error_description": fmt.Sprintf("client authentication failed: Authorization: %s; client_id=%s client_secret=%s (encoded %s); form: %s",
						auth, id, secret, encoded, body),
				})
				return
			}
			mu.Lock()
			n++
			tok := fmt.Sprintf("echo-bearer-token-%d-NOT-A-REAL-TOKEN", n)
			mu.Unlock()
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 86400})
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"message":   fmt.Sprintf("request refused; you sent Authorization: %s", auth),
			"code":      "bad.request",
			"status":    400,
			"contextId": "00000000-0000-4000-8000-0000000000ec",
			"details":   []map[string]string{{"errorCode": auth}},
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// secretForms are the ways a client secret may travel or be shown: raw,
// URL-encoded (query and path rules), inside a JSON string, and inside a
// Basic header's base64, of the raw and of the form-encoded id and secret
// (RFC 6749, 2.3.1).
func secretForms(id, secret string) []string {
	b64 := func(s string) []string {
		return []string{base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s))}
	}
	quoted, _ := json.Marshal(secret)
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), strings.Trim(string(quoted), `"`)}
	forms = append(forms, b64(id+":"+secret)...)
	forms = append(forms, b64(url.QueryEscape(id)+":"+url.QueryEscape(secret))...)
	return forms
}

// needles returns the distinct non-empty strings of lists.
func needles(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// leakCheck looks for needles in what a command left behind.
type leakCheck struct {
	t       *testing.T
	needles []string
}

func (c leakCheck) text(where, s string) {
	c.t.Helper()
	for _, n := range c.needles {
		if strings.Contains(s, n) {
			c.t.Errorf("%s holds a secret (%q)", where, n)
		}
	}
}

// dir checks every file under dir except the inputs named in skip.
func (c leakCheck) dir(dir string, skip ...string) {
	c.t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || slices.Contains(skip, d.Name()) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		c.text(rel, string(data))
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// TestSecrets runs every command of the CLI that talks to an org, with
// --debug, against the sandbox and against servers that echo credentials
// back, and checks that neither the client secret (raw, URL-encoded,
// JSON-quoted, or in the Basic header's base64) nor any bearer token the
// process was given or sent appears on stdout, on stderr, or in any file it
// wrote (saved plans, records, exports, reports). validate and version
// talk to no org and are run too. The sandbox command is left out: showing
// its fixture's credentials is its job.
func TestSecrets(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)

	t.Run("sandbox", func(t *testing.T) {
		w := newWorld(5)
		w.fx.Orgs[0].Clients[0].Secret = homeSecret
		s := newScenarioOf(t, w, sandbox.Options{})
		var tokens tokenLog
		ts := httptest.NewServer(recording(s.svc.srv, &tokens))
		t.Cleanup(ts.Close)
		dir := filepath.Dir(s.file)
		id := w.creds(w.home).ID
		env := []string{"TRUSTSYNC_API_URL=" + ts.URL, "GENESYSCLOUD_OAUTHCLIENT_ID=" + id, "GENESYSCLOUD_OAUTHCLIENT_SECRET=" + homeSecret}
		var outs []string
		run := func(args ...string) cliResult {
			r := runCLI(t, bin, dir, env, args...)
			if args[0] != "validate" && args[0] != "version" {
				if r.code != 0 {
					t.Errorf("trustsync %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
				}
				if !strings.Contains(r.stderr, "debug:") {
					t.Errorf("trustsync %s: no debug lines on stderr", strings.Join(args, " "))
				}
			}
			outs = append(outs, "trustsync "+strings.Join(args, " "), r.stdout, r.stderr)
			return r
		}
		run("validate", "-f", "trusts.yaml")
		run("validate", "-f", "trusts.yaml", "--format", "json")
		run("plan", "-f", "trusts.yaml", "--debug")
		run("plan", "-f", "trusts.yaml", "--debug", "--format", "markdown")
		run("plan", "-f", "trusts.yaml", "--debug", "--format", "json", "--out", "plan.json")
		run("apply", "plan.json", "--debug", "--auto-approve", "--allow-removals", "--record", "record-saved.json")
		run("apply", "-f", "trusts.yaml", "--debug", "--auto-approve", "--record", "record-again.json")
		run("export", "--debug")
		run("export", "--debug", "-o", "export.yaml")
		run("audit", "--debug")
		run("audit", "--debug", "--format", "json")
		user := w.users[w.home][0]
		created := run("pairing", "create", "--user", user, "--debug")
		run("pairing", "create", "--user", user, "--debug", "--format", "json")
		if id, _, _ := strings.Cut(created.stdout, "\n"); id != "" {
			run("pairing", "show", id, "--debug")
			run("pairing", "show", id, "--debug", "--format", "json")
		}
		run("report", "--debug")
		run("report", "--debug", "--format", "json", "-f", "trusts.yaml")
		run("report", "--debug", "--format", "csv", "-o", "report.csv")
		run("version")
		if len(tokens.list()) == 0 {
			t.Fatal("the sandbox saw no bearer token")
		}
		check := leakCheck{t, needles(secretForms(id, homeSecret), tokens.list())}
		for i := 0; i < len(outs); i += 3 {
			check.text(outs[i]+": stdout", outs[i+1])
			check.text(outs[i]+": stderr", outs[i+2])
		}
		check.dir(dir, "trusts.yaml")
	})

	t.Run("in-process sandbox", func(t *testing.T) {
		dir := t.TempDir()
		example, err := os.ReadFile(filepath.Join("..", "..", "examples", "trusts.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "trusts.yaml"), example, 0o600); err != nil {
			t.Fatal(err)
		}
		demo := sandbox.DemoFixture().Orgs[0].Clients[0]
		var outs []string
		for _, args := range [][]string{
			{"plan", "--sandbox", "--debug", "--out", "plan.json"},
			{"apply", "plan.json", "--sandbox", "--debug", "--auto-approve", "--record", "record.json"},
			{"export", "--sandbox", "--debug", "-o", "export.yaml"},
			{"audit", "--sandbox", "--debug", "--format", "json"},
			{"pairing", "create", "--sandbox", "--debug", "--user", sandbox.DemoFixture().Orgs[0].Users[0].ID},
			{"report", "--sandbox", "--debug", "--format", "json", "-o", "report.json"},
		} {
			r := runCLI(t, bin, dir, nil, args...)
			if r.code != 0 {
				t.Errorf("trustsync %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
			outs = append(outs, "trustsync "+strings.Join(args, " "), r.stdout, r.stderr)
		}
		// The state file holds the sandbox's own fixture, credentials
		// included, by design; everything else may not.
		check := leakCheck{t, needles(secretForms(demo.ID, demo.Secret))}
		for i := 0; i < len(outs); i += 3 {
			check.text(outs[i]+": stdout", outs[i+1])
			check.text(outs[i]+": stderr", outs[i+2])
		}
		check.dir(dir, "trusts.yaml", "sandbox.json", ".gitignore")
	})

	echo := []struct {
		name      string
		failToken bool
		envToken  string
	}{
		{"token endpoint echoes the Basic header", true, ""},
		{"API echoes the bearer token", false, ""},
		{"API echoes a ready access token", false, "ready-access-token-NOT-A-REAL-TOKEN"},
	}
	for _, tc := range echo {
		t.Run(tc.name, func(t *testing.T) {
			var tokens tokenLog
			ts := echoServer(t, tc.failToken, &tokens)
			dir := t.TempDir()
			w := newWorld(5)
			if err := os.WriteFile(filepath.Join(dir, "trusts.yaml"), []byte(w.desiredYAML(nil)), 0o600); err != nil {
				t.Fatal(err)
			}
			const id = "echo-client"
			env := []string{"TRUSTSYNC_API_URL=" + ts.URL, "GENESYSCLOUD_OAUTHCLIENT_ID=" + id, "GENESYSCLOUD_OAUTHCLIENT_SECRET=" + homeSecret}
			if tc.envToken != "" {
				env = append(env, "GENESYSCLOUD_ACCESS_TOKEN="+tc.envToken)
			}
			check := leakCheck{t: t}
			for _, args := range [][]string{
				{"plan", "-f", "trusts.yaml"},
				{"plan", "-f", "trusts.yaml", "--format", "json", "--out", "plan.json"},
				{"plan", "-f", "trusts.yaml", "--format", "markdown"},
				{"apply", "-f", "trusts.yaml", "--auto-approve", "--record", "record.json"},
				{"export", "-o", "export.yaml"},
				{"audit", "--format", "json"},
				{"pairing", "create", "--user", w.users[w.home][0]},
				{"pairing", "show", "00000000-0000-4000-8000-00000000beef"},
				{"report", "--format", "json", "-o", "report.json"},
			} {
				args = append(args, "--debug", "--max-attempts", "1")
				r := runCLI(t, bin, dir, env, args...)
				what := "trustsync " + strings.Join(args, " ")
				if r.code != 1 {
					t.Errorf("%s: exit %d, want 1 (the service refuses every request)", what, r.code)
				}
				check.needles = needles(secretForms(id, homeSecret), tokens.list(), []string{tc.envToken})
				check.text(what+": stdout", r.stdout)
				check.text(what+": stderr", r.stderr)
			}
			if !tc.failToken && len(tokens.list()) == 0 {
				t.Fatal("the echo server saw no bearer token")
			}
			check.dir(dir, "trusts.yaml")
		})
	}
}
