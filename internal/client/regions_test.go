package client

import (
	"strings"
	"testing"
)

func TestResolveRegion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"eu-west-1", "mypurecloud.ie"},
		{"EU_WEST_1", "mypurecloud.ie"},
		{" us-east-1 ", "mypurecloud.com"},
		{"ap_southeast_2", "mypurecloud.com.au"},
		{"eusc-de-east-1", "edee1.eusc-pure.cloud"},
		{"mypurecloud.ie", "mypurecloud.ie"},
		{"api.mypurecloud.de", "mypurecloud.de"},
		{"https://login.usw2.pure.cloud/", "usw2.pure.cloud"},
		{"MyPureCloud.JP.", "mypurecloud.jp"},
	}
	for _, tt := range tests {
		got, err := ResolveRegion(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ResolveRegion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "eu-west-9", "mars", "127.0.0.1", "exa mple.com", "-bad.com", "https://", "a..b"} {
		if got, err := ResolveRegion(bad); err == nil {
			t.Errorf("ResolveRegion(%q) = %q, want an error", bad, got)
		}
	}
	_, err := ResolveRegion("eu-west-9")
	if err == nil || !strings.Contains(err.Error(), "eu-west-1") || !strings.Contains(err.Error(), "ap-northeast-3") {
		t.Errorf("unknown region error should list the valid keys: %v", err)
	}
}

func TestEndpointsFor(t *testing.T) {
	api, login, err := EndpointsFor("eu_central_1")
	if err != nil || api != "https://api.mypurecloud.de" || login != "https://login.mypurecloud.de" {
		t.Errorf("EndpointsFor = %q, %q, %v", api, login, err)
	}
	if _, _, err := EndpointsFor("nowhere"); err == nil {
		t.Error("EndpointsFor(nowhere) succeeded")
	}
}

func TestRegionKeys(t *testing.T) {
	keys := RegionKeys()
	if len(keys) != 18 || keys[0] != "ap-northeast-1" {
		t.Errorf("RegionKeys() = %v", keys)
	}
}

func TestNewChecksConfig(t *testing.T) {
	ok := Config{APIURL: "https://api.mypurecloud.ie", LoginURL: "https://login.mypurecloud.ie", ClientID: "id", ClientSecret: "s"}
	if _, err := New(ok); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
	for _, loop := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"} {
		cfg := ok
		cfg.APIURL, cfg.LoginURL = loop, ""
		if _, err := New(cfg); err != nil {
			t.Errorf("New(%s) = %v", loop, err)
		}
	}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no url", func(c *Config) { c.APIURL = "" }, "no API URL"},
		{"http remote", func(c *Config) { c.APIURL = "http://api.mypurecloud.ie" }, "plain http is allowed only for loopback"},
		{"http remote login", func(c *Config) { c.LoginURL = "http://login.example.com" }, "plain http"},
		{"ftp", func(c *Config) { c.APIURL = "ftp://x.example" }, "want an https URL"},
		{"no host", func(c *Config) { c.APIURL = "https://" }, "want a base URL"},
		{"query", func(c *Config) { c.APIURL = "https://api.example.com?x=1" }, "want a base URL"},
		{"bad url", func(c *Config) { c.APIURL = "https://a b\x7f" }, "API URL"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "no credentials"},
		{"negative", func(c *Config) { c.Concurrency = -1 }, "must not be negative"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.mod(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
