package live

import (
	"context"
	"slices"
)

// Checks names what plan-time checks need read besides the trusts: the
// pairings of trusts to create and the org's own users to look up (see
// [Scope.PairingIDs], [Scope.OwnUserIDs] and [Scope.Then]).
type Checks struct {
	PairingIDs []string
	OwnUserIDs []string
}

// checks queues the reads of c on the reader.
func (r *reader) checks(c Checks) {
	r.pairings(c.PairingIDs)
	if len(c.OwnUserIDs) > 0 {
		r.st.OwnUsersRead = true
		ids := slices.Clone(c.OwnUserIDs)
		r.spawn(func(ctx context.Context) error { return r.ownUsers(ctx, ids) })
	}
}

// then runs the second phase of a Read: it asks then what the state read
// so far needs checked, adds the scope's own checks, and reads them all.
func (r *reader) then(ctx context.Context, c Checks, then func(*State) Checks) error {
	more := then(r.st)
	c.PairingIDs = append(slices.Clone(c.PairingIDs), more.PairingIDs...)
	c.OwnUserIDs = append(slices.Clone(c.OwnUserIDs), more.OwnUserIDs...)
	r.restart(ctx)
	r.checks(c)
	return r.wait()
}
