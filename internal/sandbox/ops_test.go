package sandbox

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

// opPath fills in a route pattern's wildcards with ids of the demo
// fixture, as the Northwind client would call it.
func opPath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	r := strings.NewReplacer(
		"{trusteeOrgId}", bluebird,
		"{trustorOrgId}", copperfield,
		"{trusteeUserId}", userBo,
		"{userId}", userNadia,
		"{pairingId}", newUUID(),
		"{trusteeGroupId}", groupClaimsTeam,
		"{trustorGroupId}", groupConsultants,
	)
	return method, r.Replace(path)
}

// TestPermissions checks every operation against the permissions of its
// rule: a client without them gets the service's 403 naming exactly the
// missing ones; a client with enough (any one of an ANY rule, all of an
// ALL rule) gets past the check.
func TestPermissions(t *testing.T) {
	ops := apiOps()
	fx := DemoFixture()
	clients := []ClientCredentials{{ID: "none", Secret: "s", Permissions: []string{}}}
	for i, o := range ops {
		for j, n := range o.perms.names {
			if o.perms.all {
				// All but one; then all.
				clients = append(clients, ClientCredentials{ID: fmt.Sprintf("op%d-without%d", i, j), Secret: "s",
					Permissions: slices.Delete(slices.Clone(o.perms.names), j, j+1)})
			} else {
				clients = append(clients, ClientCredentials{ID: fmt.Sprintf("op%d-only%d", i, j), Secret: "s", Permissions: []string{n}})
			}
		}
		if o.perms.all {
			clients = append(clients, ClientCredentials{ID: fmt.Sprintf("op%d-all", i), Secret: "s", Permissions: o.perms.names})
		}
	}
	fx.Orgs[0].Clients = append(fx.Orgs[0].Clients, clients...)
	h := newHarness(t, fx, Options{})
	tokens := map[string]string{}
	for _, c := range clients {
		var tr tokenResponse
		h.tokenRequest(c.ID, c.Secret, "client_credentials").want(t, http.StatusOK).decode(t, &tr)
		tokens[c.ID] = tr.AccessToken
	}
	call := func(client string, o op) response {
		method, path := opPath(o.pattern)
		var body any
		if method == http.MethodPost || method == http.MethodPut {
			body = "{}"
		}
		return h.do(tokens[client], method, path, body)
	}
	// Without permissions: 403 naming every one of the rule (none of an
	// ANY rule is held), and nothing changes.
	for _, o := range ops {
		r := call("none", o)
		if len(o.perms.names) == 0 {
			if r.status == http.StatusForbidden {
				t.Errorf("%s needs no permission but answered 403", o.pattern)
			}
			continue
		}
		list := strings.Join(o.perms.names, ", ")
		eb := r.wantError(t, http.StatusForbidden, "missing the following permission(s): ["+list+"]")
		if eb.Code != "missing.permissions" || eb.MessageParams["permissions"] != list || !strings.Contains(eb.MessageWithParams, "{permissions}") {
			t.Errorf("%s: 403 body %+v", o.pattern, eb)
		}
	}
	if n := len(h.s.AuditLog()); n != 0 {
		t.Errorf("refused requests wrote %d audit entries", n)
	}
	for i, o := range ops {
		for j, n := range o.perms.names {
			if o.perms.all {
				eb := call(fmt.Sprintf("op%d-without%d", i, j), o).wantError(t, http.StatusForbidden, n)
				if eb.MessageParams["permissions"] != n {
					t.Errorf("%s without %s: messageParams %v", o.pattern, n, eb.MessageParams)
				}
			} else if r := call(fmt.Sprintf("op%d-only%d", i, j), o); r.status == http.StatusForbidden {
				t.Errorf("%s with %s only: 403 %s", o.pattern, n, r.body)
			}
		}
		if o.perms.all {
			if r := call(fmt.Sprintf("op%d-all", i), o); r.status == http.StatusForbidden {
				t.Errorf("%s with all its permissions: 403 %s", o.pattern, r.body)
			}
		}
	}
}

// TestPermissionsTableInDocs checks that docs/sandbox.md lists every
// operation with the permissions the sandbox checks.
func TestPermissionsTableInDocs(t *testing.T) {
	data, err := os.ReadFile("../../docs/sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, o := range apiOps() {
		method, path, _ := strings.Cut(o.pattern, " ")
		path = strings.TrimPrefix(path, orgAuthPrefix)
		path = strings.TrimPrefix(path, "/api/v2")
		row := fmt.Sprintf("| `%s %s` | %s |", method, path, o.perms)
		if !strings.Contains(doc, row) {
			t.Errorf("docs/sandbox.md has no row %s", row)
		}
	}
}
