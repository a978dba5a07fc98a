package plan

import (
	"errors"
	"fmt"
	"strings"
)

// Halves of a change that was split in two because it both narrows and
// widens access: the narrowing half runs first, the widening one after it.
const (
	halfNarrow = "narrow"
	halfWiden  = "widen"
)

// objectKey names the object a change is about, from its kind and full ids
// (lowercased: ids are UUIDs and compare case-insensitively), never names.
func objectKey(c Change) string {
	lower := strings.ToLower
	switch c.Kind {
	case KindTrustee:
		return string(c.Kind) + "/" + lower(c.TrusteeID)
	case KindTrusteeUser, KindTrusteeUserRoles:
		return string(c.Kind) + "/" + lower(c.TrusteeID) + "/" + lower(c.UserID)
	case KindTrusteeGroup, KindTrusteeGroupRoles:
		return string(c.Kind) + "/" + lower(c.TrusteeID) + "/" + lower(c.GroupID)
	case KindTrustor:
		return string(c.Kind) + "/" + lower(c.TrustorID)
	case KindTrustorUser:
		return string(c.Kind) + "/" + lower(c.TrustorID) + "/" + lower(c.UserID)
	case KindTrustorGroup:
		return string(c.Kind) + "/" + lower(c.TrustorID) + "/" + lower(c.GroupID)
	}
	return string(c.Kind) + "/" + lower(c.TrusteeID) + "/" + lower(c.TrustorID) + "/" + lower(c.UserID) + "/" + lower(c.GroupID)
}

// trustKey names the trust a change belongs to.
func trustKey(c Change) string {
	if c.Kind.IsTrustor() {
		return "trustor/" + strings.ToLower(c.TrustorID)
	}
	return "trustee/" + strings.ToLower(c.TrusteeID)
}

// isTrust reports whether a change is about a trust itself rather than one
// of its members.
func isTrust(c Change) bool { return c.Kind == KindTrustee || c.Kind == KindTrustor }

// Link gives every change of an ordered plan its key and dependencies:
//
//   - two steps on one object run in order, and the second (the widening
//     half of a split change) requires the first;
//   - every change to a trust the plan creates requires that creation;
//   - a trustee user's (or group's) role change requires its addition;
//   - a trust's deletion depends on (without requiring) every change to its
//     members: it narrows access whatever became of them.
//
// It runs in time linear in the number of changes. The changes must already
// be in apply order (see sortChanges), so every dependency comes first.
func Link(cs []Change) {
	obj := make([]string, len(cs))   // object key of each change
	trust := make([]string, len(cs)) // trust key of each change
	byObject := make(map[string][]int, len(cs))
	for i, c := range cs {
		obj[i], trust[i] = objectKey(c), trustKey(c)
		byObject[obj[i]] = append(byObject[obj[i]], i)
	}
	for _, idx := range byObject {
		for _, i := range idx {
			cs[i].Key = obj[i]
			if len(idx) > 1 {
				half := halfWiden
				if cs[i].Effect == Narrow {
					half = halfNarrow
				}
				cs[i].Key += "#" + half
			}
		}
	}

	created := make(map[string]string)    // trust key → key of its creation
	deleted := make(map[string]bool)      // trust keys of the trusts the plan deletes
	members := make(map[string][]int)     // deleted trust's key → its member changes
	addedUsers := make(map[string]string) // roles object of a trustee member → key of the member's addition
	for i, c := range cs {
		switch {
		case isTrust(c) && c.Action == Create:
			created[trust[i]] = c.Key
		case isTrust(c) && c.Action == Delete:
			deleted[trust[i]] = true
		}
	}
	for i, c := range cs {
		if deleted[trust[i]] && !isTrust(c) {
			members[trust[i]] = append(members[trust[i]], i)
		}
		if roles, ok := rolesKind[c.Kind]; ok && c.Action == Create {
			// The roles object of the same member: same ids, the roles kind.
			addedUsers[string(roles)+strings.TrimPrefix(obj[i], string(c.Kind))] = c.Key
		}
	}
	for i := range cs {
		c := &cs[i]
		need := func(key string) {
			if key != "" && key != c.Key {
				c.DependsOn = appendUnique(c.DependsOn, key)
				c.Requires = appendUnique(c.Requires, key)
			}
		}
		for _, j := range byObject[obj[i]] {
			if j >= i {
				break
			}
			need(cs[j].Key)
		}
		if !isTrust(*c) {
			need(created[trust[i]])
		}
		if c.Kind == KindTrusteeUserRoles || c.Kind == KindTrusteeGroupRoles {
			need(addedUsers[obj[i]])
		}
		if isTrust(*c) && c.Action == Delete {
			for _, j := range members[trust[i]] {
				c.DependsOn = appendUnique(c.DependsOn, cs[j].Key)
			}
		}
	}
}

// rolesKind maps the kind of a trustee member (a user or a group) to the
// kind of its role set.
var rolesKind = map[Kind]Kind{KindTrusteeUser: KindTrusteeUserRoles, KindTrusteeGroup: KindTrusteeGroupRoles}

func appendUnique(keys []string, key string) []string {
	for _, k := range keys {
		if k == key {
			return keys
		}
	}
	return append(keys, key)
}

// Stage is where a change runs in apply: every narrowing change first, then
// the neutral ones, then every widening one. A change with an effect this
// version does not know runs with the widening ones, the most cautious
// place.
type Stage int

// The stages, in the order apply runs them.
const (
	StageNarrow Stage = iota
	StageNeutral
	StageWiden
)

// StageOf returns the stage a change with effect e runs in.
func StageOf(e Effect) Stage {
	switch e {
	case Narrow:
		return StageNarrow
	case Neutral:
		return StageNeutral
	}
	return StageWiden
}

// String returns "narrow", "neutral" or "widen".
func (s Stage) String() string { return [...]string{"narrow", "neutral", "widen"}[s] }

// CheckGraph reports why a plan's changes cannot be executed as a graph: a
// change without a key or with a key another change has, a dependency on a
// key the plan lacks or that comes later (so the graph has a cycle or is out
// of order), a requirement that is not also a dependency, or a change that
// depends on one of a later stage (a narrowing change on a widening one). Apply refuses a plan for which it
// returns an error; plans made by [Compute] always pass.
func CheckGraph(cs []Change) error {
	pos := make(map[string]int, len(cs))
	var errs []error
	for i, c := range cs {
		if c.Key == "" {
			errs = append(errs, fmt.Errorf("change %d (%s) has no key", i+1, c.Address))
			continue
		}
		if j, dup := pos[c.Key]; dup {
			errs = append(errs, fmt.Errorf("changes %d and %d have the same key %q", j+1, i+1, c.Key))
			continue
		}
		pos[c.Key] = i
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for i, c := range cs {
		deps := make(map[string]bool, len(c.DependsOn))
		for _, d := range c.DependsOn {
			j, ok := pos[d]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("change %q depends on %q, which is not in the plan", c.Key, d))
				continue
			case j >= i:
				errs = append(errs, fmt.Errorf("change %q depends on %q, which does not come before it (the graph has a cycle or is out of order)", c.Key, d))
			case StageOf(cs[j].Effect) > StageOf(c.Effect):
				errs = append(errs, fmt.Errorf("%s change %q depends on %s change %q, which runs in a later stage", StageOf(c.Effect), c.Key, StageOf(cs[j].Effect), d))
			}
			deps[d] = true
		}
		for _, r := range c.Requires {
			if !deps[r] {
				errs = append(errs, fmt.Errorf("change %q requires %q but does not depend on it", c.Key, r))
			}
		}
	}
	return errors.Join(errs...)
}
