package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Names maps org and user ids (lowercase) to display names for the table;
// an id it lacks is shown alone.
type Names map[string]string

func (n Names) of(id string) string {
	if id == "" {
		return ""
	}
	return clean(n[strings.ToLower(id)])
}

// WriteText writes entries as a table of when (UTC), who, which trust and
// what changed (with values named by names where it can), in the order given, then a line saying whether the log had more.
func WriteText(w io.Writer, entries []Entry, names Names, truncated bool) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "No audit entries about trusts in this period.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tWHO\tTRUST\tWHAT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", when(e.At), who(e), trust(e, names), what(e, names))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var err error
	if truncated {
		_, err = fmt.Fprintf(w, "%d entries shown; the log has more: narrow --since, --until, --trustee or --trustor.\n", len(entries))
	} else {
		_, err = fmt.Fprintf(w, "%d %s.\n", len(entries), plural(len(entries), "entry", "entries"))
	}
	return err
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func who(e Entry) string {
	switch e.ByKind {
	case ByUser:
		if e.By != e.ByID && e.ByID != "" {
			return fmt.Sprintf("user %s (%s)", e.By, e.ByID)
		}
		return "user " + e.By
	case ByClient:
		return "client " + e.By
	}
	return "-"
}

func what(e Entry, names Names) string {
	var b strings.Builder
	b.WriteString(or(e.Action, "?"))
	b.WriteByte(' ')
	switch e.Object {
	case ObjectTrust:
		b.WriteString("trust")
	case ObjectUser, ObjectRoles:
		if e.Object == ObjectRoles {
			b.WriteString("roles of ")
		}
		b.WriteString("user ")
		b.WriteString(named(or(e.ObjectName, names.of(e.UserID)), or(e.UserID, e.ObjectID)))
	default:
		b.WriteString(or(e.EntityType, "entry"))
		if e.ObjectID != "" || e.ObjectName != "" {
			b.WriteByte(' ')
			b.WriteString(named(e.ObjectName, e.ObjectID))
		}
	}
	for i, pc := range e.Changes {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s → %s", or(pc.Property, "?"), values(pc.Old, names), values(pc.New, names))
	}
	return b.String()
}

// values shows a property's values, each by its name when names has one
// (role ids, for example).
func values(vs []string, names Names) string {
	if len(vs) == 0 {
		return "(none)"
	}
	shown := make([]string, len(vs))
	for i, v := range vs {
		shown[i] = or(names.of(v), v)
	}
	if len(shown) == 1 {
		return shown[0]
	}
	return "[" + strings.Join(shown, ", ") + "]"
}

func trust(e Entry, names Names) string {
	other := e.Other()
	if other == "" {
		return "-"
	}
	return string(e.Side) + " " + named(names.of(other), other)
}

func named(name, id string) string {
	switch {
	case name == "" && id == "":
		return "?"
	case name == "":
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The JSON form of the audit command; docs/audit.md documents it.
type (
	jsonDoc struct {
		FormatVersion string      `json:"format_version"`
		Entries       []jsonEntry `json:"entries"`
		Truncated     bool        `json:"truncated"`
	}
	jsonEntry struct {
		ID         string       `json:"id"`
		At         *string      `json:"at"`
		By         *jsonActor   `json:"by"`
		Action     string       `json:"action"`
		EntityType string       `json:"entity_type"`
		Object     jsonObject   `json:"object"`
		Trust      jsonTrust    `json:"trust"`
		Changes    []jsonChange `json:"changes"`
	}
	jsonActor struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	jsonObject struct {
		Kind   string `json:"kind"`
		ID     string `json:"id"`
		Name   string `json:"name"`
		UserID string `json:"user_id"`
	}
	jsonTrust struct {
		Side      string `json:"side"`
		TrusteeID string `json:"trustee_id"`
		TrustorID string `json:"trustor_id"`
		Name      string `json:"name"`
	}
	jsonChange struct {
		Property string   `json:"property"`
		Old      []string `json:"old"`
		New      []string `json:"new"`
	}
)

// WriteJSON writes entries as one JSON document (format_version "1").
func WriteJSON(w io.Writer, entries []Entry, names Names, truncated bool) error {
	doc := jsonDoc{FormatVersion: "1", Entries: make([]jsonEntry, 0, len(entries)), Truncated: truncated}
	for _, e := range entries {
		je := jsonEntry{
			ID: e.ID, Action: e.Action, EntityType: e.EntityType,
			Object: jsonObject{Kind: e.Object, ID: e.ObjectID, Name: e.ObjectName, UserID: e.UserID},
			Trust:  jsonTrust{Side: string(e.Side), TrusteeID: e.TrusteeID, TrustorID: e.TrustorID, Name: names.of(e.Other())},
		}
		if !e.At.IsZero() {
			s := e.At.UTC().Format(time.RFC3339Nano)
			je.At = &s
		}
		if e.ByKind != "" {
			je.By = &jsonActor{Kind: e.ByKind, Name: e.By, ID: e.ByID}
		}
		je.Changes = make([]jsonChange, 0, len(e.Changes))
		for _, pc := range e.Changes {
			je.Changes = append(je.Changes, jsonChange{Property: pc.Property, Old: nonNil(pc.Old), New: nonNil(pc.New)})
		}
		doc.Entries = append(doc.Entries, je)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
