package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/suggest"
)

// roleIndex resolves role references (names or ids, as written in a file)
// against the org's live roles.
type roleIndex struct {
	byID   map[string]live.Role // key: lowercase id
	byName map[string][]live.Role
	names  []string // distinct names, sorted
}

func newRoleIndex(roles []live.Role) *roleIndex {
	ix := &roleIndex{
		byID:   make(map[string]live.Role, len(roles)),
		byName: make(map[string][]live.Role, len(roles)),
	}
	for _, r := range roles {
		ix.byID[strings.ToLower(r.ID)] = r
		if _, seen := ix.byName[r.Name]; !seen {
			ix.names = append(ix.names, r.Name)
		}
		ix.byName[r.Name] = append(ix.byName[r.Name], r)
	}
	sort.Strings(ix.names)
	for _, rs := range ix.byName {
		sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	}
	return ix
}

// resolveError says why a reference did not resolve; the caller adds the
// position.
type resolveError struct {
	msg, hint string
}

// resolve finds the role a reference names: a reference equal to a role id
// (case-insensitively) is that role; otherwise the one role whose name is
// exactly the reference.
func (ix *roleIndex) resolve(ref string) (live.Role, *resolveError) {
	if r, ok := ix.byID[strings.ToLower(ref)]; ok {
		return r, nil
	}
	matches := ix.byName[ref]
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		if looksLikeID(ref) {
			return live.Role{}, &resolveError{
				msg:  fmt.Sprintf("no role of this organization has the id %s", ref),
				hint: "role ids differ between organizations: use an id of this org's roles (GET /api/v2/authorization/roles), or the role's name",
			}
		}
		return live.Role{}, &resolveError{
			msg:  fmt.Sprintf("role %q does not exist in this organization", ref),
			hint: ix.suggest(ref),
		}
	}
	ids := make([]string, len(matches))
	for i, r := range matches {
		ids[i] = r.ID
	}
	return live.Role{}, &resolveError{
		msg:  fmt.Sprintf("role name %q matches %d roles (%s)", ref, len(matches), strings.Join(ids, ", ")),
		hint: "refer to the role by its id instead of its name",
	}
}

// looksLikeID reports whether ref has the shape of a UUID, the form of
// Genesys Cloud ids.
func looksLikeID(ref string) bool {
	if len(ref) != 36 {
		return false
	}
	for i, r := range ref {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// name returns the display name of a role id, or "" when the org has no
// such role.
func (ix *roleIndex) name(id string) string {
	return ix.byID[strings.ToLower(id)].Name
}

// canonicalID returns the org's spelling of a role id (ids compare
// case-insensitively).
func (ix *roleIndex) canonicalID(id string) string {
	if r, ok := ix.byID[strings.ToLower(id)]; ok {
		return r.ID
	}
	return id
}

// suggest returns a "did you mean" hint with the role names closest to ref.
func (ix *roleIndex) suggest(ref string) string {
	type cand struct {
		name string
		dist int
	}
	want := strings.ToLower(strings.TrimSpace(ref))
	var cands []cand
	for _, n := range ix.names {
		ln := strings.ToLower(n)
		d := suggest.Distance(want, ln)
		limit := max(2, len([]rune(want))/3)
		switch {
		case ln == want:
			d = 0
		case d <= limit:
		case want != "" && (strings.Contains(ln, want) || strings.Contains(want, ln)):
			d = limit + 1
		default:
			continue
		}
		cands = append(cands, cand{n, d})
	}
	if len(cands) == 0 {
		return "names must match exactly (they are case-sensitive); use an existing role's name or its id"
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].name < cands[j].name
	})
	if len(cands) > 3 {
		cands = cands[:3]
	}
	quoted := make([]string, len(cands))
	for i, c := range cands {
		quoted[i] = fmt.Sprintf("%q", c.name)
	}
	switch len(quoted) {
	case 1:
		return "did you mean " + quoted[0] + "?"
	case 2:
		return "did you mean " + quoted[0] + " or " + quoted[1] + "?"
	}
	return "did you mean " + quoted[0] + ", " + quoted[1] + " or " + quoted[2] + "?"
}
