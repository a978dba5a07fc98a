package client

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// regions maps Genesys Cloud region keys to their domains. The API host is
// api.<domain>, the login host login.<domain>.
var regions = map[string]string{
	"us-east-1":      "mypurecloud.com",
	"us-east-2":      "use2.us-gov-pure.cloud",
	"us-west-2":      "usw2.pure.cloud",
	"ca-central-1":   "cac1.pure.cloud",
	"sa-east-1":      "sae1.pure.cloud",
	"mx-central-1":   "mxc1.pure.cloud",
	"eu-west-1":      "mypurecloud.ie",
	"eu-west-2":      "euw2.pure.cloud",
	"eu-central-1":   "mypurecloud.de",
	"eu-central-2":   "euc2.pure.cloud",
	"eusc-de-east-1": "edee1.eusc-pure.cloud",
	"me-central-1":   "mec1.pure.cloud",
	"ap-south-1":     "aps1.pure.cloud",
	"ap-southeast-1": "apse1.pure.cloud",
	"ap-southeast-2": "mypurecloud.com.au",
	"ap-northeast-1": "mypurecloud.jp",
	"ap-northeast-2": "apne2.pure.cloud",
	"ap-northeast-3": "apne3.pure.cloud",
}

// RegionKeys returns the known region keys, sorted.
func RegionKeys() []string {
	keys := make([]string, 0, len(regions))
	for k := range regions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ResolveRegion turns a region key (eu-west-1, EU_WEST_1) or a domain
// (mypurecloud.ie, also api.mypurecloud.ie or https://login.mypurecloud.ie)
// into the region's domain. An unknown key is an error listing the valid
// ones.
func ResolveRegion(s string) (string, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return "", fmt.Errorf("empty region; valid regions: %s", strings.Join(RegionKeys(), ", "))
	}
	if !strings.Contains(in, ".") {
		key := strings.ReplaceAll(strings.ToLower(in), "_", "-")
		if d, ok := regions[key]; ok {
			return d, nil
		}
		return "", fmt.Errorf("unknown region %q; valid regions: %s (or a domain such as mypurecloud.ie)", s, strings.Join(RegionKeys(), ", "))
	}
	host := strings.ToLower(in)
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("region %q is neither a region key nor a domain", s)
		}
		host = u.Hostname()
	}
	host = strings.TrimSuffix(strings.TrimSuffix(host, "/"), ".")
	for _, prefix := range []string{"api.", "login."} {
		if strings.HasPrefix(host, prefix) {
			host = strings.TrimPrefix(host, prefix)
			break
		}
	}
	if !validDomain(host) {
		return "", fmt.Errorf("region %q is neither a region key nor a domain", s)
	}
	return host, nil
}

// validDomain checks that d is a plausible DNS name with at least two labels.
func validDomain(d string) bool {
	if len(d) > 253 || net.ParseIP(d) != nil {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// EndpointsFor returns the API and login base URLs of a region key or
// domain, e.g. https://api.mypurecloud.ie and https://login.mypurecloud.ie.
func EndpointsFor(regionOrDomain string) (apiURL, loginURL string, err error) {
	d, err := ResolveRegion(regionOrDomain)
	if err != nil {
		return "", "", err
	}
	return "https://api." + d, "https://login." + d, nil
}
