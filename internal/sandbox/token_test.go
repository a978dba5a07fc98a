package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestTokenEscapedCredentials checks RFC 6749 section 2.3.1: the client id
// and secret are form-urlencoded before HTTP Basic encoding, as
// golang.org/x/oauth2 sends them.
func TestTokenEscapedCredentials(t *testing.T) {
	const (
		id     = "nw ops:client+1"
		secret = "s+/=x %y"
	)
	fx := DemoFixture()
	fx.Orgs[0].Clients = append(fx.Orgs[0].Clients, ClientCredentials{ID: id, Secret: secret})
	h := newHarness(t, fx, Options{})

	// The OAuth 2 client library, credentials in the header.
	cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: h.ts.URL + oauthPath, AuthStyle: oauth2.AuthStyleInHeader}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, h.ts.Client())
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials token: %v", err)
	}
	res, err := cfg.Client(ctx).Get(h.ts.URL + "/api/v2/organizations/me")
	if err != nil {
		t.Fatal(err)
	}
	var me wireOrg
	err = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || me.ID != northwind {
		t.Fatalf("organizations/me with the library's token %q: %d %+v %v", tok.AccessToken, res.StatusCode, me, err)
	}

	// A hand-built header, escaped the same way.
	basic := func(user, pass string) response {
		req, err := http.NewRequest(http.MethodPost, h.ts.URL+oauthPath, strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		return h.send(req)
	}
	var tr tokenResponse
	basic(url.QueryEscape(id), url.QueryEscape(secret)).want(t, http.StatusOK).decode(t, &tr)
	if tr.AccessToken == "" {
		t.Error("no access token for escaped credentials")
	}
	// Percent-encoding that QueryEscape would not choose decodes too.
	basic("nw%20ops%3Aclient%2B1", "s%2B%2F%3Dx%20%25y").want(t, http.StatusOK)

	// The secret sent as it is: '+' reads as a space and "% y" is no
	// escape, so it cannot match; the answer does not quote the secret.
	var te tokenError
	basic(url.QueryEscape(id), secret).want(t, http.StatusUnauthorized).decode(t, &te)
	if te.Error != "invalid_client" || !strings.Contains(te.ErrorDescription, "RFC 6749") || strings.Contains(string(basic(url.QueryEscape(id), secret).body), "% y") {
		t.Errorf("unescaped secret: %+v", te)
	}
	basic(url.QueryEscape(id), "s+/=x+%25y").want(t, http.StatusUnauthorized) // '+' is a space: wrong secret
	basic("nw%zzops", "x").wantError(t, http.StatusUnauthorized, "client id")

	// Plain ids and secrets decode to themselves: curl -u keeps working.
	c := demoClients["bluebird"]
	basic(c.ID, c.Secret).want(t, http.StatusOK)
	basic(url.QueryEscape(c.ID), url.QueryEscape(c.Secret)).want(t, http.StatusOK)
}
