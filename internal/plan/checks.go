package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

// This file holds the checks that predict apply's failures from live
// state: the pairing of a trust to create, the members it is created
// with, our own users named in trustors entries, and the policy against
// trusts with full access.

// The positions of cfg.Positions that Compute cites, beside the Pos
// fields of the entries themselves; TrimPositions keeps exactly these.
func pairingPointer(i int) string { return config.Pointer("trustees", i, "pairingId") }

func memberPointers(i int) [2]string {
	return [2]string{config.Pointer("trustees", i, "users"), config.Pointer("trustees", i, "groups")}
}

func forbidFullAccessPointer() string { return config.Pointer("policy", "forbidFullAccess") }

// TrimPositions replaces cfg.Positions by the few entries Compute cites
// (the Pos fields of entries, users and roles stay), so that a large
// configuration does not hold the position of every value it was loaded
// with while live state is read: for 100,000 trust users that map is most
// of the loaded configuration. Call it once the configuration's own
// diagnostics are made; Compute gives the same plan before and after.
func TrimPositions(cfg *config.Config) {
	if cfg == nil || cfg.Positions == nil {
		return
	}
	kept := make(config.Positions)
	keep := func(ptr string) {
		if p, ok := cfg.Positions[ptr]; ok {
			kept[ptr] = p
		}
	}
	for i := range cfg.Trustees {
		keep(pairingPointer(i))
		for _, ptr := range memberPointers(i) {
			keep(ptr)
		}
	}
	keep(forbidFullAccessPointer())
	cfg.Positions = kept
}

// ChecksToRead returns what the plan-time checks need read once the live
// trusts st holds are known (for [live.Scope.Then]): the pairing of every
// managed trustee entry that does not exist live, and every one of our
// users a managed trustor entry names that is not already in its live
// trust (those are the users plan would add, now or once the trust
// exists). Trusts that exist need no pairing, so none is read for them.
// Compute asks for the same and refuses a state that lacks it.
func ChecksToRead(cfg *config.Config, st *live.State) live.Checks {
	var c live.Checks
	if cfg == nil || st == nil {
		return c
	}
	if cfg.ManageTrustees {
		liveIDs := make(map[string]bool, len(st.Trustees))
		for _, t := range st.Trustees {
			liveIDs[strings.ToLower(t.OrgID)] = true
		}
		protected := orgSet(cfg.Protect.Trustees)
		seen := map[string]bool{}
		for _, t := range cfg.Trustees {
			key := strings.ToLower(t.ID)
			if seen[key] {
				continue
			}
			seen[key] = true
			if t.PairingID != "" && !protected[key] && !liveIDs[key] {
				c.PairingIDs = append(c.PairingIDs, t.PairingID)
			}
		}
	}
	if cfg.ManageTrustors {
		c.OwnUserIDs = ownUsersToCheck(cfg, st)
	}
	return c
}

// ownUsersToCheck lists, once each, our users named in managed trustor
// entries that are not in the entry's live trust.
func ownUsersToCheck(cfg *config.Config, st *live.State) []string {
	liveUsers := make(map[string]map[string]bool, len(st.Trustors))
	for _, t := range st.Trustors {
		us := make(map[string]bool, len(t.Users))
		for _, u := range t.Users {
			us[strings.ToLower(u.ID)] = true
		}
		liveUsers[strings.ToLower(t.OrgID)] = us
	}
	protected := orgSet(cfg.Protect.Trustors)
	seenEntry, seenUser := map[string]bool{}, map[string]bool{}
	var out []string
	for _, t := range cfg.Trustors {
		key := strings.ToLower(t.ID)
		if seenEntry[key] || protected[key] {
			seenEntry[key] = true
			continue
		}
		seenEntry[key] = true
		for _, u := range t.Users {
			ukey := strings.ToLower(u.ID)
			if u.ID == "" || liveUsers[key][ukey] || seenUser[ukey] {
				continue
			}
			seenUser[ukey] = true
			out = append(out, u.ID)
		}
	}
	return out
}

// checkReads refuses a live state that was read without what
// [ChecksToRead] asks for: a plan made without it would skip the checks.
func checkReads(cfg *config.Config, st *live.State) error {
	need := ChecksToRead(cfg, st)
	have := make(map[string]bool, len(st.Pairings))
	for _, p := range st.Pairings {
		have[strings.ToLower(p.ID)] = true
	}
	for _, id := range need.PairingIDs {
		if !have[strings.ToLower(id)] {
			return fmt.Errorf("compute plan: pairing %s of a trust to create was not read (read live state with plan.ChecksToRead)", id)
		}
	}
	if len(need.OwnUserIDs) > 0 && !st.OwnUsersRead {
		return fmt.Errorf("compute plan: the organization's users named in trustors were not checked (read live state with plan.ChecksToRead)")
	}
	return nil
}

// PairingExpiryWarning is how close to its expiry a trust's pairing makes
// plan warn: applying after the pairing expires fails.
const PairingExpiryWarning = 24 * time.Hour

// newPairingHint is the hint of every pairing problem.
func newPairingHint(t config.Trustee) string {
	return fmt.Sprintf("ask %s for a new pairing (they run `trustsync pairing create --user ID...`, or POST /api/v2/orgauthorization/pairings) and put its id here",
		displayOrg(t.Name, t.ID))
}

// checkPairing checks the pairing of a trustee entry whose trust does not
// exist: it must exist, be the trustee org's own and not have expired when
// live state was read. It returns what the pairing offers for the plan to
// show, and warns about configured members it does not offer; nil when
// the pairing cannot be used.
func (b *builder) checkPairing(i int, t config.Trustee) *Pairing {
	pos := b.cfg.Positions.At(pairingPointer(i))
	if pos.Line == 0 {
		pos = t.Pos
	}
	var lp *live.Pairing
	for j := range b.st.Pairings {
		if strings.EqualFold(b.st.Pairings[j].ID, t.PairingID) {
			lp = &b.st.Pairings[j]
			break
		}
	}
	hint := newPairingHint(t)
	if lp == nil || !lp.Exists {
		b.errorf(pos, hint, "pairing %s does not exist or has expired (a pairing can be used for %d hours after it is created, once)",
			t.PairingID, int(live.PairingLifetime/time.Hour))
		return nil
	}
	ok := true
	if !strings.EqualFold(lp.TrusteeOrg.ID, t.ID) {
		ok = false
		owner := displayOrg(lp.TrusteeOrg.Name, lp.TrusteeOrg.ID)
		if lp.TrusteeOrg.ID == "" {
			owner = "an organization the service does not name"
		}
		h := hint
		if strings.EqualFold(lp.TrusteeOrg.ID, b.st.Org.ID) {
			owner = "this organization, " + owner
			h = "a pairing is created by the org to be trusted, not by the org that trusts it; " + hint
		}
		b.errorf(pos, h, "pairing %s was created by %s, not by trustee %s: it creates a trust for its own creator",
			t.PairingID, owner, displayOrg(t.Name, t.ID))
	}
	exp, known := lp.ExpiresAt()
	if known && !b.st.ReadAt.IsZero() && !b.st.ReadAt.Before(exp) {
		ok = false
		b.errorf(pos, hint, "pairing %s expired at %s (%d hours after it was created, at %s)",
			t.PairingID, exp.UTC().Format(time.RFC3339), int(live.PairingLifetime/time.Hour), lp.DateCreated.UTC().Format(time.RFC3339))
	}
	if !ok {
		return nil
	}
	out := &Pairing{ID: lp.ID, Users: make([]User, 0, len(lp.Users)), Groups: make([]Group, 0, len(lp.Groups))}
	if known {
		e := exp.UTC()
		out.Expires = &e
		if left := exp.Sub(b.st.ReadAt); !b.st.ReadAt.IsZero() && left < PairingExpiryWarning {
			b.warnf(pos, "apply before then, or ask the trustee org for a new pairing when the review takes longer",
				"pairing %s expires at %s, %s after live state was read", t.PairingID, e.Format(time.RFC3339), left.Truncate(time.Minute))
		}
	}
	offered := map[string]bool{}
	for _, u := range lp.Users {
		offered["u/"+strings.ToLower(u.ID)] = true
		out.Users = append(out.Users, User{ID: u.ID, Name: u.Name})
	}
	for _, g := range lp.Groups {
		offered["g/"+strings.ToLower(g.ID)] = true
		out.Groups = append(out.Groups, Group{ID: g.ID, Name: g.Name, MemberCount: count(g.MemberCount)})
	}
	sortUsers(out.Users)
	sortGroups(out.Groups)
	const notOffered = "the trust gets the members its entry lists, but the trustee org did not offer this one when it created the pairing: check the id with it, or ask it for a pairing that offers it"
	for _, u := range t.Users {
		if !offered["u/"+strings.ToLower(u.ID)] {
			b.warnf(u.Pos, notOffered, "user %s of trustee %s is not one of the users pairing %s offers",
				displayOrg(u.Name, u.ID), shortID(t.ID), shortID(lp.ID))
		}
	}
	for _, g := range t.Groups {
		if !offered["g/"+strings.ToLower(g.ID)] {
			b.warnf(g.Pos, notOffered, "group %s of trustee %s is not one of the groups pairing %s offers",
				displayOrg(g.Name, g.ID), shortID(t.ID), shortID(lp.ID))
		}
	}
	return out
}

// checkMembers refuses a trust to create without members: the service
// creates a trust only with at least one user or group, and the users a
// pairing offers do not join by themselves.
func (b *builder) checkMembers(i int, t config.Trustee) {
	if len(t.Users) > 0 || len(t.Groups) > 0 {
		return
	}
	pos := t.Pos
	for _, ptr := range memberPointers(i) {
		if p := b.cfg.Positions.At(ptr); p.Line != 0 {
			pos = p
			break
		}
	}
	b.errorf(pos, "list the users (with their roles) or groups to give access to under this entry; the users a pairing offers do not join by themselves",
		"trustee %s would be created with no users or groups, and the service creates a trust only with at least one member", displayOrg(t.Name, t.ID))
}

// checkOwnUser reports one of our users, named in a trustor entry and not
// in its live trust, that is not a user of this org.
func (b *builder) checkOwnUser(t config.Trustor, u config.TrustorUser) {
	if b.ownUsers == nil {
		b.ownUsers = make(map[string]bool, len(b.st.OwnUsers))
		for _, ou := range b.st.OwnUsers {
			b.ownUsers[strings.ToLower(ou.ID)] = true
		}
	}
	if b.ownUsers[strings.ToLower(u.ID)] {
		return
	}
	org := displayOrg(b.st.Org.Name, b.st.Org.ID)
	b.errorf(u.Pos, fmt.Sprintf("no user with this id in %s: correct the id, or remove the user from this trustor", org),
		"user %s named in trustor %s does not exist in %s", u.ID, displayOrg(t.Name, t.ID), org)
}

// forbidFullAccess makes every managed live trustee trust with full access
// a problem under policy.forbidFullAccess. Protected trusts are left
// alone, and a trust the plan deletes has no access left to forbid.
func (b *builder) forbidFullAccess() {
	if !b.cfg.Policy.ForbidFullAccess || !b.cfg.ManageTrustees {
		return
	}
	liveByID := byID(b.st.Trustees, func(x *live.Trustee) string { return x.OrgID })
	protected := orgSet(b.cfg.Protect.Trustees)
	where := ""
	if p := b.cfg.Positions.At(forbidFullAccessPointer()); p.Line != 0 {
		where = " at " + p.String()
	}
	seen := map[string]bool{}
	for _, t := range b.cfg.Trustees {
		key := strings.ToLower(t.ID)
		if seen[key] || protected[key] {
			continue
		}
		seen[key] = true
		lt := liveByID[key]
		if lt == nil || !lt.HasFullAccess {
			continue
		}
		b.errorf(t.Pos, "trustsync cannot change a trust's full access: remove it in Genesys Cloud, list the org under protect.trustees to accept it, or remove it from trustees to delete the trust",
			"trustee %s has full access (hasFullAccess), which policy.forbidFullAccess%s forbids", displayOrg(displayName(lt.OrgName, t.Name), lt.OrgID), where)
	}
}

// flags returns a live trustee trust's flags for a plan value.
func flags(lt *live.Trustee) (full, trusted *bool) {
	return boolPtr(lt.HasFullAccess), boolPtr(lt.IsTrustedUser)
}

// protectedFlags sets the flags of the protected trustee trusts.
func (b *builder) protectedFlags() {
	liveByID := byID(b.st.Trustees, func(x *live.Trustee) string { return x.OrgID })
	for i := range b.plan.Protected {
		pr := &b.plan.Protected[i]
		if pr.Kind != KindTrustee {
			continue
		}
		if lt := liveByID[strings.ToLower(pr.TrusteeID)]; lt != nil {
			pr.HasFullAccess, pr.IsTrustedUser = flags(lt)
		}
	}
}

// nameFromPairing names the users of a trust to create that the file
// leaves unnamed after the pairing that offers them, so a reviewer reads
// who gains access.
func nameFromPairing(v *Value) {
	if v.Pairing == nil {
		return
	}
	names := make(map[string]string, len(v.Pairing.Users))
	for _, u := range v.Pairing.Users {
		names[strings.ToLower(u.ID)] = u.Name
	}
	for i := range v.Users {
		if v.Users[i].Name == "" {
			v.Users[i].Name = names[strings.ToLower(v.Users[i].ID)]
		}
	}
}
