package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/plan"
)

// The JSON report (docs/report.md is its contract).
type (
	jsonReport struct {
		ReportVersion string      `json:"report_version"`
		Organization  jsonParty   `json:"organization"`
		At            string      `json:"at"`
		WarnDays      int         `json:"warn_expiry_days"`
		ConfigFiles   []string    `json:"config_files"`
		AuditNote     string      `json:"audit_note"`
		Summary       jsonSummary `json:"summary"`
		Trusts        []jsonTrust `json:"trusts"`
	}
	jsonSummary struct {
		Trusts        int `json:"trusts"`
		Users         int `json:"users"`
		Groups        int `json:"groups"`
		FlaggedTrusts int `json:"flagged_trusts"`
		FlaggedUsers  int `json:"flagged_users"`
		FlaggedGroups int `json:"flagged_groups"`
	}
	jsonParty struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	jsonChange struct {
		At     string `json:"at"`
		By     string `json:"by"`
		ByKind string `json:"by_kind"`
		ByID   string `json:"by_id"`
		Action string `json:"action"`
	}
	jsonTrust struct {
		Direction  string      `json:"direction"`
		Org        jsonParty   `json:"org"`
		Enabled    bool        `json:"enabled"`
		Expires    *string     `json:"expires"`
		DaysLeft   *int        `json:"days_left"`
		Flags      []string    `json:"flags"`
		LastChange *jsonChange `json:"last_change"`
		Users      []jsonUser  `json:"users"`
		Groups     []jsonGroup `json:"groups"`
	}
	jsonGroup struct {
		ID             string      `json:"id"`
		Name           string      `json:"name"`
		MemberCount    *int64      `json:"member_count"`
		Roles          []jsonParty `json:"roles"`
		Flags          []string    `json:"flags"`
		ForbiddenRoles []string    `json:"forbidden_roles"`
	}
	jsonUser struct {
		ID             string      `json:"id"`
		Name           string      `json:"name"`
		Roles          []jsonParty `json:"roles"`
		AddedAt        *string     `json:"added_at"`
		AddedBy        *jsonParty  `json:"added_by"`
		Flags          []string    `json:"flags"`
		ForbiddenRoles []string    `json:"forbidden_roles"`
		LastChange     *jsonChange `json:"last_change"`
	}
)

// WriteJSON writes the report as one JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	ft, fu, fg := r.Flagged()
	doc := jsonReport{
		ReportVersion: Version,
		Organization:  jsonParty{ID: r.Organization.ID, Name: r.Organization.Name},
		At:            r.At.UTC().Format(time.RFC3339),
		WarnDays:      r.WarnDays,
		ConfigFiles:   r.ConfigFiles,
		AuditNote:     r.AuditNote,
		Summary:       jsonSummary{Trusts: len(r.Trusts), FlaggedTrusts: ft, FlaggedUsers: fu, FlaggedGroups: fg},
		Trusts:        []jsonTrust{},
	}
	for _, t := range r.Trusts {
		jt := jsonTrust{
			Direction: t.Direction, Org: jsonParty{ID: t.Org.ID, Name: t.Org.Name}, Enabled: t.Enabled,
			Expires: timeStr(t.Expires), DaysLeft: t.DaysLeft, Flags: nonNil(t.Flags), LastChange: jsonChangeOf(t.LastChange),
			Users: []jsonUser{}, Groups: []jsonGroup{},
		}
		for _, u := range t.Users {
			doc.Summary.Users++
			ju := jsonUser{ID: u.ID, Name: u.Name, AddedAt: timeStr(u.AddedAt), Flags: nonNil(u.Flags),
				ForbiddenRoles: nonNil(u.ForbiddenRoles), LastChange: jsonChangeOf(u.LastChange)}
			ju.Roles = jsonRoles(u.Roles)
			if u.AddedBy != nil {
				ju.AddedBy = &jsonParty{ID: u.AddedBy.ID, Name: u.AddedBy.Name}
			}
			jt.Users = append(jt.Users, ju)
		}
		for _, g := range t.Groups {
			doc.Summary.Groups++
			jt.Groups = append(jt.Groups, jsonGroup{ID: g.ID, Name: g.Name, MemberCount: g.MemberCount, Roles: jsonRoles(g.Roles),
				Flags: nonNil(g.Flags), ForbiddenRoles: nonNil(g.ForbiddenRoles)})
		}
		doc.Trusts = append(doc.Trusts, jt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// jsonRoles is nil (null) where roles cannot be read, a list otherwise.
func jsonRoles(rs []plan.Role) []jsonParty {
	if rs == nil {
		return nil
	}
	out := []jsonParty{}
	for _, ro := range rs {
		out = append(out, jsonParty{ID: ro.ID, Name: ro.Name})
	}
	return out
}

func jsonChangeOf(c *Change) *jsonChange {
	if c == nil {
		return nil
	}
	return &jsonChange{At: c.At.UTC().Format(time.RFC3339), By: c.By, ByKind: c.ByKind, ByID: c.ByID, Action: c.Action}
}

func timeStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// csvHeader is the CSV report's first row: one row follows per user, one
// per group (member_type group: the user_* cells hold the group's id, name
// and flags), and one per trust without either. The last two columns were
// added after the others, so a reader of the older columns is unaffected.
var csvHeader = []string{
	"direction", "org_id", "org_name", "enabled", "expires", "days_left", "trust_flags",
	"trust_last_change_at", "trust_last_change_by", "trust_last_change_action",
	"user_id", "user_name", "roles", "added_at", "added_by", "user_flags", "forbidden_roles",
	"user_last_change_at", "user_last_change_by", "user_last_change_action",
	"member_type", "member_count",
}

// WriteCSV writes the report as CSV (RFC 4180), one row per user and per
// group in a trust. Cells that a spreadsheet would read as a formula are
// prefixed with an apostrophe.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, t := range r.Trusts {
		trust := []string{t.Direction, t.Org.ID, t.Org.Name, strconv.FormatBool(t.Enabled), timeText(t.Expires), intText(t.DaysLeft), strings.Join(t.Flags, " ")}
		trust = append(trust, changeCells(t.LastChange)...)
		if len(t.Users) == 0 && len(t.Groups) == 0 {
			row := append(append([]string{}, trust...), make([]string, len(csvHeader)-len(trust))...)
			if err := cw.Write(cells(row)); err != nil {
				return err
			}
			continue
		}
		for _, u := range t.Users {
			row := append(append([]string{}, trust...), u.ID, u.Name, roleNames(u.Roles, "; "), timeText(u.AddedAt), partyText(u.AddedBy),
				strings.Join(u.Flags, " "), strings.Join(u.ForbiddenRoles, "; "))
			row = append(row, changeCells(u.LastChange)...)
			row = append(row, "user", "")
			if err := cw.Write(cells(row)); err != nil {
				return err
			}
		}
		for _, g := range t.Groups {
			row := append(append([]string{}, trust...), g.ID, g.Name, roleNames(g.Roles, "; "), "", "",
				strings.Join(g.Flags, " "), strings.Join(g.ForbiddenRoles, "; "), "", "", "", "group", int64Text(g.MemberCount))
			if err := cw.Write(cells(row)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func changeCells(c *Change) []string {
	if c == nil {
		return []string{"", "", ""}
	}
	return []string{c.At.UTC().Format(time.RFC3339), byText(c), c.Action}
}

// cells guards each cell against formula injection; numbers stay numbers.
func cells(row []string) []string {
	for i, c := range row {
		if _, err := strconv.Atoi(c); err == nil {
			continue
		}
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func int64Text(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func partyText(p *Party) string {
	switch {
	case p == nil:
		return ""
	case p.Name == "" || p.Name == p.ID:
		return p.ID
	case p.ID == "":
		return p.Name
	}
	return p.Name + " (" + p.ID + ")"
}

func byText(c *Change) string {
	if c.ByKind == "user" && c.ByID != "" && c.ByID != c.By {
		return "user " + c.By + " (" + c.ByID + ")"
	}
	return c.ByKind + " " + c.By
}

func roleNames(rs []plan.Role, sep string) string {
	names := make([]string, len(rs))
	for i, ro := range rs {
		names[i] = ro.Name
		if ro.Name == "" {
			names[i] = ro.ID
		}
	}
	return strings.Join(names, sep)
}

// WriteMarkdown writes the report for a GitHub issue or pull request:
// a summary, then one section per direction with a table of users and one
// of groups per trust.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	ft, fu, fg := r.Flagged()
	users, groups := 0, 0
	for _, t := range r.Trusts {
		users += len(t.Users)
		groups += len(t.Groups)
	}
	fmt.Fprintf(&b, "# Access review: %s `%s`\n\n", md(orDash(r.Organization.Name)), code(r.Organization.ID))
	fmt.Fprintf(&b, "As of %s: %s, %s, %s. To look at: %s, %s, %s.\n\n", r.At.UTC().Format(time.RFC3339),
		count(len(r.Trusts), "trust"), count(users, "user"), count(groups, "group"), count(ft, "trust"), count(fu, "user"), count(fg, "group"))
	if r.ConfigFiles != nil {
		fmt.Fprintf(&b, "Compared with %s.\n\n", md(strings.Join(r.ConfigFiles, ", ")))
	}
	if r.AuditNote != "" {
		fmt.Fprintf(&b, "> **Note:** %s.\n\n", md(r.AuditNote))
	}
	for _, dir := range []struct{ key, title string }{
		{Trustee, "Orgs this org grants access to (trustees)"},
		{Trustor, "Orgs that grant this org access (trustors)"},
	} {
		fmt.Fprintf(&b, "## %s\n\n", dir.title)
		n := 0
		for _, t := range r.Trusts {
			if t.Direction != dir.key {
				continue
			}
			n++
			fmt.Fprintf(&b, "### %s `%s`\n\n", md(orDash(t.Org.Name)), code(t.Org.ID))
			state := "enabled"
			if !t.Enabled {
				state = "**disabled**"
			}
			exp := "no expiry"
			switch {
			case t.Direction == Trustor:
				exp = "expiry not shown to this org (the trustor org sees it)"
			case t.Expires != nil:
				exp = "expires " + t.Expires.UTC().Format(time.RFC3339) + " (" + daysText(*t.DaysLeft) + ")"
			}
			fmt.Fprintf(&b, "- %s, %s\n", state, exp)
			if len(t.Flags) > 0 {
				fmt.Fprintf(&b, "- flags: %s\n", flagList(t.Flags))
			}
			if c := t.LastChange; c != nil {
				fmt.Fprintf(&b, "- last change: %s by %s at %s\n", md(c.Action), md(byText(c)), c.At.UTC().Format(time.RFC3339))
			}
			b.WriteString("\n")
			if len(t.Users) == 0 {
				b.WriteString("No users.\n\n")
			} else {
				writeUsers(&b, t.Users)
			}
			if len(t.Groups) == 0 {
				b.WriteString("No groups.\n\n")
			} else {
				writeGroups(&b, t.Groups)
			}
		}
		if n == 0 {
			b.WriteString("None.\n\n")
		}
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// writeGroups writes a trust's groups as a table: each group's member
// count shows how many people its roles reach.
func writeGroups(b *strings.Builder, groups []Group) {
	b.WriteString("| group | members | roles | flags |\n|---|---|---|---|\n")
	for _, g := range groups {
		members := "unknown"
		if g.MemberCount != nil {
			members = strconv.FormatInt(*g.MemberCount, 10)
		}
		flags := flagList(g.Flags)
		if len(g.ForbiddenRoles) > 0 {
			flags += " (" + md(strings.Join(g.ForbiddenRoles, ", ")) + ")"
		}
		fmt.Fprintf(b, "| %s `%s` | %s | %s | %s |\n", md(orDash(g.Name)), code(g.ID), members, rolesCell(g.Roles), orDash(flags))
	}
	b.WriteString("\n")
}

// rolesCell is a member's roles for a table cell.
func rolesCell(rs []plan.Role) string {
	switch {
	case rs == nil:
		return "(roles of the other org)"
	case len(rs) == 0:
		return "(none)"
	}
	return md(roleNames(rs, ", "))
}

// writeUsers writes a trust's users as a table.
func writeUsers(b *strings.Builder, users []User) {
	b.WriteString("| user | roles | added | added by | flags | last change |\n|---|---|---|---|---|---|\n")
	for _, u := range users {
		roles := rolesCell(u.Roles)
		flags := flagList(u.Flags)
		if len(u.ForbiddenRoles) > 0 {
			flags += " (" + md(strings.Join(u.ForbiddenRoles, ", ")) + ")"
		}
		last := ""
		if c := u.LastChange; c != nil {
			last = md(c.Action) + " by " + md(byText(c)) + " at " + c.At.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(b, "| %s `%s` | %s | %s | %s | %s | %s |\n", md(orDash(u.Name)), code(u.ID), roles,
			orDash(timeText(u.AddedAt)), md(orDash(partyText(u.AddedBy))), orDash(flags), orDash(last))
	}
	b.WriteString("\n")
}

func flagList(fs []string) string {
	if len(fs) == 0 {
		return ""
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = "`" + f + "`"
	}
	return strings.Join(out, " ")
}

func daysText(d int) string {
	switch {
	case d < 0:
		return fmt.Sprintf("expired %d days ago", -d)
	case d == 1:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", d)
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// md escapes text for Markdown, in table cells as much as in prose.
func md(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code keeps s inside an inline code span.
func code(s string) string { return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(s) }
