package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// runWith runs the CLI in dir with exactly the environment vars, no
// terminal and no stdin.
func runWith(dir string, vars map[string]string, args ...string) applyResult {
	var stdout, stderr bytes.Buffer
	e := &env{
		ctx:        context.Background(),
		stdin:      strings.NewReader(""),
		stdout:     &stdout,
		stderr:     &stderr,
		getenv:     func(k string) string { return vars[k] },
		version:    "test",
		isTerminal: func(any) bool { return false },
		workDir:    dir,
	}
	code := runCLI(e.ctx, args, e)
	return applyResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestSavedPlanConnection saves a plan made against an API URL, applies it
// with credentials of another org (refused before anything is read), then
// with the plan's own org, taking the URL from the plan file.
func TestSavedPlanConnection(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	r := sb.trustsync(dir, false, "", "plan", "--out", "saved.plan")
	requireCode(t, r, 0)
	requireContains(t, "plan's stderr", r.stderr,
		"trustsync: connecting to "+sb.ts.URL+", from TRUSTSYNC_API_URL, with GENESYSCLOUD_OAUTHCLIENT_ID\n")

	orgs := sb.srv.Orgs()
	blue := orgs[1].Clients[0]
	before := sb.srv.Stats()
	r = runWith(dir, map[string]string{envClientID: blue.ID, envClientSecret: blue.Secret}, "apply", "saved.plan")
	requireCode(t, r, 1)
	want := "trustsync: this plan is for org a0000000-0000-4000-8000-000000000001 (Northwind Insurance); " +
		"these credentials are for org b0000000-0000-4000-8000-000000000002 (Bluebird Outsourcing)\nnothing was changed\n"
	requireContains(t, "stderr", r.stderr,
		"trustsync: using the connection saved in saved.plan: "+sb.ts.URL+" (give --sandbox, --region or --api-url for another)\n",
		"trustsync: connecting to "+sb.ts.URL+", from the plan file saved.plan, with GENESYSCLOUD_OAUTHCLIENT_ID\n",
		want)
	if strings.Contains(r.stderr, "read live state") || strings.Contains(r.stderr, "pinned") || r.stdout != "" {
		t.Errorf("the other org's state was read or shown:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	after := sb.srv.Stats()
	if n := after.Requests - before.Requests; n != 1 || after.Writes != before.Writes {
		t.Errorf("%d requests and %d writes for a refused plan, want only organizations/me", n, after.Writes-before.Writes)
	}

	// The plan's own org, with the URL from the plan file and no prompt.
	home := orgs[0].Clients[0]
	r = runWith(dir, map[string]string{envClientID: home.ID, envClientSecret: home.Secret}, "apply", "saved.plan")
	requireCode(t, r, 0)
	requireContains(t, "stdout", r.stdout, "Verified: live state matches the configuration.")
	requireContains(t, "stderr", r.stderr, "applying the saved plan saved.plan without asking: it was reviewed when it was saved")
}

// TestSavedPlanFlagsOverride applies a plan with --api-url naming the
// service: the flag wins over the saved connection, and apply says so.
func TestSavedPlanFlagsOverride(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	requireCode(t, sb.trustsync(dir, false, "", "plan", "--out", "saved.plan", "--api-url", sb.ts.URL), 0)
	r := sb.trustsync(dir, false, "", "apply", "saved.plan", "--api-url", sb.ts.URL)
	requireCode(t, r, 0)
	requireContains(t, "stderr", r.stderr,
		"trustsync: --api-url overrides the connection saved in saved.plan ("+sb.ts.URL+")\n",
		"trustsync: connecting to "+sb.ts.URL+", from --api-url, with GENESYSCLOUD_OAUTHCLIENT_ID\n")
}

// TestRefusedCredentialsNameTheVariables: a secret the service refuses is
// reported with the variables to fix.
func TestRefusedCredentialsNameTheVariables(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	home := sb.srv.Orgs()[0].Clients[0]
	r := runWith(dir, map[string]string{envAPIURL: sb.ts.URL, envClientID: home.ID, envClientSecret: "s3cret-not-this-one"}, "plan")
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr,
		"with GENESYSCLOUD_OAUTHCLIENT_ID\n",
		"hint: the service refused the OAuth client: check GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET")
	if strings.Contains(r.stderr, "s3cret-not-this-one") {
		t.Errorf("stderr shows the secret:\n%s", r.stderr)
	}
	r = runWith(dir, map[string]string{envAPIURL: sb.ts.URL, envAccessToken: "expired-token"}, "plan")
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr, "with GENESYSCLOUD_ACCESS_TOKEN\n", "hint: the service refused the credentials: with GENESYSCLOUD_ACCESS_TOKEN set")
}
