package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/printable"
)

// pairingTTL is how long a pairing can be used, as the API's model says.
const pairingTTL = 48 * time.Hour

// pairingCmd groups the pairing subcommands.
type pairingCmd struct {
	Create pairingCreateCmd `cmd:"" help:"Create a pairing (run by the trustee org) for another org to create a trust with."`
	Show   pairingShowCmd   `cmd:"" help:"Show a pairing: who created it, when, from which org, and the users it brings."`
}

// pairingCreateCmd creates a pairing with the caller's own users.
type pairingCreateCmd struct {
	Users  []string `name:"user" placeholder:"USER_ID" help:"A user of this org to bring into the trust (repeatable)."`
	Groups []string `name:"group" placeholder:"GROUP_ID" help:"A group of this org to bring into the trust (repeatable)."`
	Format string   `enum:"text,json" default:"text" help:"Output format: text or json (docs/pairing.md)."`

	connFlags `embed:""`
}

// pairingShowCmd reads a pairing.
type pairingShowCmd struct {
	ID     string `arg:"" name:"PAIRING_ID" help:"The pairing id."`
	Format string `enum:"text,json" default:"text" help:"Output format: text or json (docs/pairing.md)."`

	connFlags `embed:""`
}

// Run creates the pairing. The first stdout line is the pairing id alone,
// so that scripts can take it with head -n1.
func (c *pairingCreateCmd) Run(e *env) (err error) {
	users, groups := nonBlank(c.Users), nonBlank(c.Groups)
	if len(users)+len(groups) == 0 {
		return &exitError{code: 1, err: errors.New("a pairing needs at least one --user or --group\nhint: name the users of this org who will work in the other org, for example --user <user id>")}
	}
	api, closeConn, err := c.connect(e, "")
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer func() {
		if cerr := closeConn(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	tr, err := api.CreatePairing(e.ctx, client.TrustRequestCreate{UserIDs: users, GroupIDs: groups})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if tr.ID == "" || !printable.Safe(tr.ID) || strings.ContainsAny(tr.ID, " \t") {
		return &exitError{code: 1, err: fmt.Errorf("create pairing: the answer has no usable pairing id (%q)", tr.ID)}
	}
	var out bytes.Buffer
	if c.Format == "json" {
		err = writePairingJSON(&out, tr)
	} else {
		err = writePairingCreated(&out, tr)
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render pairing: %w", err)}
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write pairing: %w", err)}
	}
	return nil
}

// Run shows the pairing.
func (c *pairingShowCmd) Run(e *env) (err error) {
	id := strings.TrimSpace(c.ID)
	if id == "" {
		return &exitError{code: 1, err: errors.New("give the pairing id")}
	}
	api, closeConn, err := c.connect(e, "")
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer func() {
		if cerr := closeConn(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	tr, err := api.GetPairing(e.ctx, id)
	if err != nil {
		if client.IsNotFound(err) {
			return &exitError{code: 1, err: fmt.Errorf("%w\nhint: pairings expire 48 hours after they are created and cannot be listed; ask the trustee org for a new one", err)}
		}
		return &exitError{code: 1, err: err}
	}
	var out bytes.Buffer
	if c.Format == "json" {
		err = writePairingJSON(&out, tr)
	} else {
		err = writePairing(&out, tr, e.clock()())
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render pairing: %w", err)}
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write pairing: %w", err)}
	}
	return nil
}

// pairingExpiry is when tr stops being usable; false when the answer has
// no creation time.
func pairingExpiry(tr *client.TrustRequest) (time.Time, bool) {
	if tr.DateCreated == nil || tr.DateCreated.IsZero() {
		return time.Time{}, false
	}
	return tr.DateCreated.Add(pairingTTL).UTC(), true
}

// writePairingCreated writes the id alone on the first line, then its
// expiry and what the other org does with it.
func writePairingCreated(w io.Writer, tr *client.TrustRequest) error {
	var b strings.Builder
	fmt.Fprintln(&b, tr.ID)
	if exp, ok := pairingExpiry(tr); ok {
		fmt.Fprintf(&b, "Expires at %s (48 hours after it was created); it can be used once.\n", exp.Format(time.RFC3339))
	} else {
		fmt.Fprintln(&b, "Expires 48 hours after it was created; it can be used once.")
	}
	org := tr.Trustee
	fmt.Fprintln(&b, "\nGive the pairing id to the administrator of the org that will trust this one. In")
	fmt.Fprintln(&b, "their desired-state file, the entry for this org under trustees gets it:")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "  trustees:")
	if org != nil && org.ID != "" {
		fmt.Fprintf(&b, "    - id: %s\n", printable.String(org.ID))
		if org.Name != "" {
			fmt.Fprintf(&b, "      name: %s\n", yamlString(printable.String(org.Name)))
		}
	} else {
		fmt.Fprintln(&b, "    - id: <this org's id>")
	}
	fmt.Fprintf(&b, "      pairingId: %s\n", tr.ID)
	fmt.Fprintln(&b, "\nTheir next apply creates the trust. Check the pairing with 'trustsync pairing show "+tr.ID+"'.")
	_, err := io.WriteString(w, b.String())
	return err
}

// writePairing describes a pairing.
func writePairing(w io.Writer, tr *client.TrustRequest, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Pairing %s\n", printable.String(tr.ID))
	if o := tr.Trustee; o != nil {
		fmt.Fprintf(&b, "From org:   %s\n", partyLabel(o.Name, o.ID))
	} else {
		fmt.Fprintln(&b, "From org:   (not given)")
	}
	if u := tr.CreatedBy; u != nil {
		fmt.Fprintf(&b, "Created by: %s\n", partyLabel(u.Name, u.ID))
	} else {
		fmt.Fprintln(&b, "Created by: (not given)")
	}
	if tr.DateCreated != nil && !tr.DateCreated.IsZero() {
		fmt.Fprintf(&b, "Created at: %s\n", tr.DateCreated.UTC().Format(time.RFC3339))
	}
	if exp, ok := pairingExpiry(tr); ok {
		state := "usable until then unless it was used"
		if !now.Before(exp) {
			state = "expired"
		}
		fmt.Fprintf(&b, "Expires at: %s (%s)\n", exp.Format(time.RFC3339), state)
	}
	fmt.Fprintf(&b, "Users (%d):\n", len(tr.Users))
	for _, u := range tr.Users {
		fmt.Fprintf(&b, "  - %s\n", partyLabel(u.Name, u.ID))
	}
	if len(tr.Groups) > 0 {
		fmt.Fprintf(&b, "Groups (%d):\n", len(tr.Groups))
		for _, g := range tr.Groups {
			fmt.Fprintf(&b, "  - %s\n", partyLabel(g.Name, g.ID))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pairingJSON is the JSON form of both pairing commands (docs/pairing.md).
type pairingJSON struct {
	ID          string        `json:"id"`
	CreatedAt   *string       `json:"created_at"`
	ExpiresAt   *string       `json:"expires_at"`
	CreatedBy   *pairingParty `json:"created_by"`
	Trustee     *pairingParty `json:"trustee"`
	Users       []pairingUser `json:"users"`
	Groups      []pairingUser `json:"groups"`
	FileSnippet string        `json:"file_snippet"`
}

type pairingParty struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type pairingUser = pairingParty

func writePairingJSON(w io.Writer, tr *client.TrustRequest) error {
	doc := pairingJSON{ID: printable.String(tr.ID), Users: []pairingUser{}, Groups: []pairingUser{}}
	if tr.DateCreated != nil && !tr.DateCreated.IsZero() {
		s := tr.DateCreated.UTC().Format(time.RFC3339Nano)
		doc.CreatedAt = &s
	}
	if exp, ok := pairingExpiry(tr); ok {
		s := exp.Format(time.RFC3339Nano)
		doc.ExpiresAt = &s
	}
	if u := tr.CreatedBy; u != nil {
		doc.CreatedBy = &pairingParty{ID: printable.String(u.ID), Name: printable.String(u.Name)}
	}
	if o := tr.Trustee; o != nil {
		doc.Trustee = &pairingParty{ID: printable.String(o.ID), Name: printable.String(o.Name)}
	}
	for _, u := range tr.Users {
		doc.Users = append(doc.Users, pairingUser{ID: printable.String(u.ID), Name: printable.String(u.Name)})
	}
	for _, g := range tr.Groups {
		doc.Groups = append(doc.Groups, pairingUser{ID: printable.String(g.ID), Name: printable.String(g.Name)})
	}
	doc.FileSnippet = "pairingId: " + doc.ID
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func partyLabel(name, id string) string {
	name, id = printable.String(name), printable.String(id)
	switch {
	case name == "":
		return cmp.Or(id, "(no id)")
	case id == "":
		return name
	}
	return fmt.Sprintf("%s (%s)", name, id)
}

// yamlString quotes s for YAML when it would not read back as itself.
func yamlString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return s
	}
	return string(b)
}

func nonBlank(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
