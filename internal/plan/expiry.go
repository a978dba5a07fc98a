package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/expiry"
	"github.com/trustsync/trustsync/internal/live"
)

// Codes of the expiry warnings.
const (
	// WarnExpiresSoon marks a trust whose expiry after the plan is at most
	// the warning window away (or already past).
	WarnExpiresSoon = "expires_soon"
	// WarnNoExpiry marks a live trust with no expiry while
	// policy.requireExpiry is set.
	WarnNoExpiry = "no_expiry"
)

// expiryWarnings warns about every trustee trust that exists after the
// plan whose expiry then (the file's expires for a managed trustee, the
// live one for protected and Customer Care trustees) is at most
// policy.warnExpiryDays calendar days after st.ReadAt (see [DaysLeft]),
// and, when policy.requireExpiry is set, about every such trust with no
// expiry. Trusts the plan deletes are left out. Trustor trusts are never
// warned about: the service does not show the trustee org a trustor
// trust's expiry, so there is nothing to know. A zero st.ReadAt (no clock)
// skips the expires_soon check: the result never depends on when Compute
// runs.
func (b *builder) expiryWarnings() {
	now := b.st.ReadAt
	days := b.cfg.Policy.WarnExpiryDays
	require := b.cfg.Policy.RequireExpiry
	check := func(trusteeID, name string, exp *time.Time, managed bool, pos config.Pos) {
		who := "trustee " + displayOrg(name, trusteeID)
		w := Warning{Severity: diag.Warning, TrusteeID: trusteeID, Pos: pos}
		if exp == nil {
			if !require {
				return
			}
			w.Code = WarnNoExpiry
			w.Message = who + " has no expiry, but policy.requireExpiry is set"
			w.Hints = diag.Hints(noExpiryHint(managed))
			b.plan.Warnings = append(b.plan.Warnings, w)
			return
		}
		if now.IsZero() {
			return
		}
		d := DaysLeft(*exp, now)
		if d > days {
			return
		}
		w.Code, w.DaysLeft = WarnExpiresSoon, &d
		on := expiry.Format(*exp)
		switch {
		case exp.Before(now) && d == 0:
			w.Message = fmt.Sprintf("%s expired at %s (today)", who, on)
		case exp.Before(now):
			w.Message = fmt.Sprintf("%s expired at %s (%s ago)", who, on, dayCount(-d))
		case d == 0:
			w.Message = fmt.Sprintf("%s expires at %s (today)", who, on)
		default:
			w.Message = fmt.Sprintf("%s expires at %s (in %s, within %d days)", who, on, dayCount(d), days)
		}
		w.Hints = diag.Hints(expiresSoonHint(managed))
		b.plan.Warnings = append(b.plan.Warnings, w)
	}

	if b.cfg.ManageTrustees && b.st.TrusteesRead {
		protected := orgSet(b.cfg.Protect.Trustees)
		configured := make(map[string]bool, len(b.cfg.Trustees))
		liveByID := byID(b.st.Trustees, func(x *live.Trustee) string { return x.OrgID })
		for _, t := range b.cfg.Trustees {
			key := strings.ToLower(t.ID)
			if configured[key] || protected[key] {
				continue
			}
			configured[key] = true
			name := t.Name
			if lt := liveByID[key]; lt != nil {
				name = displayName(lt.OrgName, t.Name)
			}
			check(t.ID, name, t.Expires, true, t.Pos)
		}
		for i := range b.st.Trustees {
			lt := &b.st.Trustees[i]
			key := strings.ToLower(lt.OrgID)
			if protected[key] || (b.care[key] && !configured[key]) {
				check(lt.OrgID, lt.OrgName, lt.Expires, false, config.Pos{})
			}
		}
	}
}

// DaysLeft counts the calendar days (in UTC) from now until exp: 0 on
// the day itself, negative once the day has passed. Counting whole days
// rather than 24-hour spans keeps the count, and so the plan, the same
// all day long.
func DaysLeft(exp, now time.Time) int {
	day := func(t time.Time) int64 {
		u := t.Unix()
		if u < 0 && u%86400 != 0 {
			return u/86400 - 1
		}
		return u / 86400
	}
	return int(day(exp) - day(now))
}

func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func expiresSoonHint(managed bool) string {
	if managed {
		return "renew the trust: set a later expires in the file (or remove it from the file to end the trust)"
	}
	return "the trust is protected here: renew it where it is managed"
}

func noExpiryHint(managed bool) string {
	if managed {
		return "set expires in the file"
	}
	return "the trust is protected here: set an expiry where it is managed"
}
