package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/planfile"
)

// endpointSource is one place the endpoint may come from: a flag, an
// environment variable, a saved plan or the configuration.
type endpointSource struct {
	name, val string
	isURL     bool // a base URL rather than a region
}

// connection is the saved-plan form of the endpoint taken from s.
func (s endpointSource) connection() planfile.Connection {
	if s.isURL {
		return planfile.Connection{Kind: planfile.ConnAPIURL, APIURL: s.val}
	}
	return planfile.Connection{Kind: planfile.ConnRegion, Region: s.val}
}

// connState is what a command's connection settings hold besides the
// flags: the connection of a saved plan being applied, used when no flag
// names one, and where connect connected, for a saved plan to record.
type connState struct {
	saved *savedConn
	used  planfile.Connection
}

// savedConn is the connection a saved plan was made against.
type savedConn struct {
	planFile string // the plan file, as given
	conn     planfile.Connection
	// statePath is the sandbox state file resolved against the plan
	// file's directory (sandbox connections).
	statePath string
}

// source is the saved region or API URL as an endpoint source; a sandbox
// connection is taken through --sandbox instead.
func (s *savedConn) source() endpointSource {
	name := "the plan file " + s.planFile
	if s.conn.Kind == planfile.ConnAPIURL {
		return endpointSource{name: name, val: s.conn.APIURL, isURL: true}
	}
	return endpointSource{name: name, val: s.conn.Region}
}

// sandboxState is the sandbox state file to use instead of the working
// directory's, "" for the default.
func (st *connState) sandboxState() string {
	if st.saved == nil || st.saved.conn.Kind != planfile.ConnSandbox {
		return ""
	}
	return st.saved.statePath
}

// connected notes and says on stderr where a command connects and with
// which credentials variable.
func (st *connState) connected(e *env, from endpointSource, apiURL, credVar string) {
	st.used = from.connection()
	where := apiURL
	if !from.isURL {
		where = fmt.Sprintf("region %s (%s)", from.val, apiURL)
	}
	fmt.Fprintf(e.stderr, "trustsync: connecting to %s, from %s, with %s\n", where, from.name, credVar)
}

// connectedSandbox is connected for the in-process sandbox.
func (st *connState) connectedSandbox(e *env, statePath, clientID string) {
	st.used = planfile.Connection{Kind: planfile.ConnSandbox, SandboxState: statePath}
	fmt.Fprintf(e.stderr, "trustsync: connecting to the in-process sandbox (state %s) as its demo client %s\n", statePath, clientID)
}

// connectionFlag names the flag that says where to connect, "" when none
// does.
func (f *connFlags) connectionFlag() string {
	switch {
	case f.Sandbox:
		return "--sandbox"
	case f.APIURL != "":
		return "--api-url"
	case f.Region != "":
		return "--region"
	}
	return ""
}

// describeConnection says in words where a saved plan was made.
func describeConnection(c planfile.Connection, statePath string) string {
	switch c.Kind {
	case planfile.ConnSandbox:
		return fmt.Sprintf("the in-process sandbox (state %s)", statePath)
	case planfile.ConnRegion:
		return "region " + c.Region
	}
	return c.APIURL
}

// credentialHint names the variables to fix when err says the service
// refused the credentials, "" otherwise.
func credentialHint(err error) string {
	var te *client.TokenError
	if errors.As(err, &te) && (te.Status == http.StatusBadRequest || te.Status == http.StatusUnauthorized) {
		return fmt.Sprintf("hint: the service refused the OAuth client: check %s and %s (a client with the Client Credentials grant, of this region's org)",
			envClientID, envClientSecret)
	}
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return fmt.Sprintf("hint: the service refused the credentials: with %s set, it may have expired; set a new one, or unset it to use %s and %s",
			envAccessToken, envClientID, envClientSecret)
	}
	return ""
}
