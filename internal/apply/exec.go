package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/expiry"
	"github.com/trustsync/trustsync/internal/plan"
)

// liveState is what a read-back found, compared with the desired result of
// a change.
type liveState int

const (
	// stateDone: live state shows the desired result.
	stateDone liveState = iota
	// stateNotDone: live state shows that the write did not happen; it is
	// safe to issue it again.
	stateNotDone
	// stateConflict: live state differs in a way that another write of the
	// same request would not fix (for example the trust exists with other
	// settings, so another POST would be refused).
	stateConflict
)

// step is one change expressed as a write and a read-back.
type step struct {
	// write issues the change once.
	write func(ctx context.Context) (client.Outcome, error)
	// check reads live state back and compares it with the desired result;
	// detail says what differs when it is not done.
	check func(ctx context.Context) (state liveState, detail string, err error)
	// confirmable reports whether a write error may mean the change had
	// already happened (404 on a delete, 409 on an add).
	confirmable func(err error) bool
	// alwaysCheck reads back even after a plain success.
	alwaysCheck bool
	// mismatchHint is added to a mismatch found after a successful write.
	mismatchHint string
}

// execution runs one change and gathers what happened.
type execution struct {
	api      API
	change   plan.Change
	stop     <-chan struct{}
	attempts int
	// errorIDs are the correlation ids of the API errors met.
	errorIDs []string
	notes    []string
}

func (e *execution) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// seen records the correlation ids an error carries.
func (e *execution) seen(err error) {
	for _, id := range correlationIDs(err) {
		if !slices.Contains(e.errorIDs, id) {
			e.errorIDs = append(e.errorIDs, id)
		}
	}
}

// correlationIDs returns the correlation ids of every API error in err's
// tree.
func correlationIDs(err error) []string {
	if err == nil {
		return nil
	}
	var ids []string
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.CorrelationID != "" {
		ids = append(ids, apiErr.CorrelationID)
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			ids = append(ids, correlationIDs(e)...)
		}
	}
	return ids
}

// run executes the change and says how it ended.
func (e *execution) run(ctx context.Context) (Status, error) {
	s, err := e.step()
	if err != nil {
		return StatusFailed, err
	}
	for {
		if e.attempts > 0 && stopRequested(e.stop) {
			// Only a write that evidently did not happen is issued again.
			return StatusFailed, errors.New("the write did not take effect, and the run was interrupted before it could be issued again")
		}
		e.attempts++
		outcome, cut, werr := e.write(ctx, s)
		e.seen(werr)
		switch cut {
		case cutUnsent:
			if e.attempts == 1 {
				e.attempts = 0
				return StatusSkipped, ErrInterrupted
			}
			return StatusFailed, errors.New("the write did not take effect, and the run was interrupted before it could be issued again")
		case cutMaybeSent:
			// The stop caught the request as it was being sent: only
			// live state can tell whether the service got it.
			return e.afterCutWrite(ctx, s)
		}
		if werr == nil && outcome == client.Applied && !s.alwaysCheck {
			return StatusOK, nil
		}
		if werr != nil && ctx.Err() != nil {
			// Stopped at once while the write was in flight: it may have
			// reached the service, and nothing can be read back now.
			e.note("stopped while the write was in flight; no read-back was possible")
			return StatusUnknown, fmt.Errorf("outcome unknown: the run was stopped while the write was in flight (%w)", werr)
		}
		ambiguous := werr != nil && isAmbiguous(werr)
		if werr != nil && !ambiguous && (s.confirmable == nil || !s.confirmable(werr)) {
			return StatusFailed, werr
		}

		state, detail, rerr := s.check(ctx)
		e.seen(rerr)
		if rerr != nil {
			// The write was sent (and, without werr, answered 2xx), but
			// what it did cannot be confirmed.
			if werr != nil {
				e.note("write answered %s; the read-back failed: %v", describe(werr), rerr)
				return StatusUnknown, fmt.Errorf("outcome unknown: %w; reading it back to learn whether it took effect failed too: %w", werr, rerr)
			}
			e.note("the read-back failed: %v", rerr)
			return StatusUnknown, fmt.Errorf("outcome unknown: the write was answered, but reading back the change failed: %w", rerr)
		}
		switch {
		case state == stateDone:
			switch {
			case werr != nil:
				e.note("write answered %s; read-back shows the change in effect", describe(werr))
			case outcome != client.Applied:
				e.note("write answered %s; read-back shows the change in effect", outcomeName(outcome))
			}
			return StatusOK, nil
		case werr == nil:
			msg := "after the write, live state differs: " + detail
			if s.mismatchHint != "" {
				msg += " (" + s.mismatchHint + ")"
			}
			return StatusFailed, errors.New(msg)
		case ambiguous && state == stateNotDone && e.attempts < maxWrites:
			e.note("write answered %s; read-back shows it did not take effect, writing again", describe(werr))
			continue
		default:
			return StatusFailed, fmt.Errorf("%w; read-back: %s", werr, detail)
		}
	}
}

// afterCutWrite reads back a change whose write a graceful stop cut off
// while it was being sent.
func (e *execution) afterCutWrite(ctx context.Context, s step) (Status, error) {
	state, detail, rerr := s.check(ctx)
	e.seen(rerr)
	switch {
	case rerr != nil:
		e.note("interrupted while the write was being sent; the read-back failed: %v", rerr)
		return StatusUnknown, fmt.Errorf("outcome unknown: the run was interrupted while the write was being sent, and reading it back failed: %w", rerr)
	case state == stateDone:
		e.note("interrupted while the write was being sent; read-back shows the change in effect")
		return StatusOK, nil
	case state == stateNotDone:
		e.note("interrupted while the write was being sent; read-back shows it did not take effect")
		return StatusSkipped, fmt.Errorf("%w: cut off while being sent; read-back shows it did not take effect", ErrInterrupted)
	}
	e.note("interrupted while the write was being sent; read-back shows %s", detail)
	return StatusFailed, fmt.Errorf("interrupted while the write was being sent; read-back: %s", detail)
}

// cut says whether a graceful stop cut a write off, and how far it got.
type cut int

const (
	cutNone      cut = iota // the write ran its course
	cutUnsent               // cut before a connection was taken: the service never saw it
	cutMaybeSent            // cut after: the service may have got it
)

// write issues the step's write once. Its context is cancelled when the
// run's Stop closes before the request has a connection to the service;
// once it has one it is cancelled only with ctx, so a graceful stop lets
// it finish. cut says whether a stop (or ctx) cut it off before it had a
// connection, or a graceful stop caught it while it was being sent.
func (e *execution) write(ctx context.Context, s step) (client.Outcome, cut, error) {
	if stopRequested(e.stop) {
		return 0, cutUnsent, ErrInterrupted
	}
	wctx, cancelled, release := gate(ctx, e.stop)
	defer release()
	outcome, err := s.write(wctx)
	stopped, connected := cancelled()
	switch {
	case err == nil:
		return outcome, cutNone, err
	case (stopped || ctx.Err() != nil) && !connected:
		// Whoever stopped it, it never had a connection to be sent on.
		return outcome, cutUnsent, err
	case stopped && ctx.Err() == nil:
		return outcome, cutMaybeSent, err
	}
	return outcome, cutNone, err
}

// gate returns a context for one write, derived from ctx, that stop
// cancels as long as no request under it has taken a connection (before
// that, nothing of it can have been sent). cancelled reports whether stop
// cancelled it, and whether a connection was taken all the same (the
// transport may have had one in hand as the cancellation came). Call
// release when the write is done.
func gate(ctx context.Context, stop <-chan struct{}) (wctx context.Context, cancelled func() (stopped, connected bool), release func()) {
	cctx, cancel := context.WithCancelCause(ctx)
	var mu sync.Mutex
	conn, stopped := false, false
	wctx = httptrace.WithClientTrace(cctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			mu.Lock()
			conn = true
			mu.Unlock()
		},
	})
	done := make(chan struct{})
	var wg sync.WaitGroup
	if stop != nil {
		wg.Go(func() {
			select {
			case <-stop:
				mu.Lock()
				if !conn {
					stopped = true
					cancel(ErrInterrupted)
				}
				mu.Unlock()
			case <-done:
			}
		})
	}
	cancelled = func() (bool, bool) {
		mu.Lock()
		defer mu.Unlock()
		return stopped, conn
	}
	release = func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
	return wctx, cancelled, release
}

// stopRequested reports whether stop is closed.
func stopRequested(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// isAmbiguous reports whether a failed write may or may not have taken
// effect: a server error (5xx other than 501) or a transport failure or
// timeout. Client errors (4xx, 429 included: a rate-limited request is not
// processed) are definite.
func isAmbiguous(err error) bool {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500 && apiErr.Status != http.StatusNotImplemented
	}
	return !errors.Is(err, context.Canceled)
}

func isStatus(err error, status int) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}

func isConflict(err error) bool { return isStatus(err, http.StatusConflict) }

// describe names a write error briefly for notes.
func describe(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		if apiErr.CorrelationID != "" {
			return fmt.Sprintf("%d (correlation id %s)", apiErr.Status, apiErr.CorrelationID)
		}
		return fmt.Sprintf("%d", apiErr.Status)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "a timeout"
	}
	return "a transport error"
}

func outcomeName(o client.Outcome) string {
	switch o {
	case client.AlreadyGone:
		return "already gone"
	case client.AlreadyPresent:
		return "already present"
	}
	return "applied"
}

// step builds the write and read-back for the change.
func (e *execution) step() (step, error) {
	c := e.change
	api := e.api
	switch c.Kind {
	case plan.KindTrustee:
		switch c.Action {
		case plan.Create:
			return e.createTrustee(), nil
		case plan.Update:
			body := client.TrustUpdate{Enabled: *c.After.Enabled, DateExpired: utc(c.After.Expires)}
			return step{
				write: func(ctx context.Context) (client.Outcome, error) {
					_, err := api.UpdateTrustee(ctx, c.TrusteeID, body)
					return client.Applied, err
				},
				check: func(ctx context.Context) (liveState, string, error) {
					t, err := api.GetTrustee(ctx, c.TrusteeID)
					if client.IsNotFound(err) {
						return stateConflict, "the trust no longer exists", nil
					}
					if err != nil {
						return 0, "", err
					}
					if d := trusteeDiff(t, body.Enabled, body.DateExpired); d != "" {
						return stateNotDone, d, nil
					}
					return stateDone, "", nil
				},
			}, nil
		case plan.Delete:
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) { return api.DeleteTrustee(ctx, c.TrusteeID) },
				func(ctx context.Context) error { _, err := api.GetTrustee(ctx, c.TrusteeID); return err },
				"the trust still exists"), nil
		}
	case plan.KindTrusteeUser:
		switch c.Action {
		case plan.Create:
			return e.addTrusteeUser(), nil
		case plan.Delete:
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) {
					return api.DeleteTrusteeUser(ctx, c.TrusteeID, c.UserID)
				},
				func(ctx context.Context) error { _, err := api.GetTrusteeUser(ctx, c.TrusteeID, c.UserID); return err },
				"the user is still in the trust"), nil
		}
	case plan.KindTrusteeUserRoles:
		return e.setRoles(), nil
	case plan.KindTrusteeGroup:
		switch c.Action {
		case plan.Create:
			return e.addTrusteeGroup(), nil
		case plan.Delete:
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) {
					return api.DeleteTrusteeGroup(ctx, c.TrusteeID, c.GroupID)
				},
				func(ctx context.Context) error {
					_, err := api.GetTrusteeGroup(ctx, c.TrusteeID, c.GroupID)
					return err
				},
				"the group is still in the trust"), nil
		}
	case plan.KindTrusteeGroupRoles:
		return e.setGroupRoles(), nil
	case plan.KindTrustor:
		if c.Action == plan.Delete {
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) { return api.DeleteTrustor(ctx, c.TrustorID) },
				func(ctx context.Context) error { _, err := api.GetTrustor(ctx, c.TrustorID); return err },
				"the trust still exists"), nil
		}
	case plan.KindTrustorUser:
		switch c.Action {
		case plan.Create:
			return e.membership(
				func(ctx context.Context) (client.Outcome, error) {
					_, o, err := api.AddTrustorUser(ctx, c.TrustorID, c.UserID)
					return o, err
				},
				func(ctx context.Context) error { _, err := api.GetTrustorUser(ctx, c.TrustorID, c.UserID); return err },
				"the user is not in the trust"), nil
		case plan.Delete:
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) {
					return api.DeleteTrustorUser(ctx, c.TrustorID, c.UserID)
				},
				func(ctx context.Context) error { _, err := api.GetTrustorUser(ctx, c.TrustorID, c.UserID); return err },
				"the user is still in the trust"), nil
		}
	case plan.KindTrustorGroup:
		switch c.Action {
		case plan.Create:
			return e.membership(
				func(ctx context.Context) (client.Outcome, error) {
					_, o, err := api.AddTrustorGroup(ctx, c.TrustorID, c.GroupID)
					return o, err
				},
				func(ctx context.Context) error {
					_, err := api.GetTrustorGroup(ctx, c.TrustorID, c.GroupID)
					return err
				},
				"the group is not in the trust"), nil
		case plan.Delete:
			return e.deletion(
				func(ctx context.Context) (client.Outcome, error) {
					return api.DeleteTrustorGroup(ctx, c.TrustorID, c.GroupID)
				},
				func(ctx context.Context) error {
					_, err := api.GetTrustorGroup(ctx, c.TrustorID, c.GroupID)
					return err
				},
				"the group is still in the trust"), nil
		}
	}
	// Check refuses such plans before any write; this guards direct misuse.
	return step{}, fmt.Errorf("apply cannot %s a %s", c.Action, c.Kind)
}

// deletion builds a delete whose read-back expects a 404.
// membership is the step that adds a member to a trust with add, where
// get reads the member back (a 404 meaning it is not there, missing saying
// so) and a 409 counts as done once the read-back confirms it.
func (e *execution) membership(add func(context.Context) (client.Outcome, error), get func(context.Context) error, missing string) step {
	return step{
		write: add,
		check: func(ctx context.Context) (liveState, string, error) {
			err := get(ctx)
			if client.IsNotFound(err) {
				return stateNotDone, missing, nil
			}
			if err != nil {
				return 0, "", err
			}
			return stateDone, "", nil
		},
		confirmable: isConflict,
	}
}

func (e *execution) deletion(del func(context.Context) (client.Outcome, error), get func(context.Context) error, stillThere string) step {
	return step{
		write: del,
		check: func(ctx context.Context) (liveState, string, error) {
			err := get(ctx)
			if client.IsNotFound(err) {
				return stateDone, "", nil
			}
			if err != nil {
				return 0, "", err
			}
			return stateNotDone, stillThere, nil
		},
		confirmable: client.IsNotFound,
	}
}

// createTrustee is one POST /trustees carrying the pairing, the trust's
// settings and exactly the members the file names in the trust's entry:
// every user and every group, each with its roles. Nothing joins a trust
// that the body does not name (the pairing's users do not join by
// themselves), and the service refuses a trust with no member at all.
func (e *execution) createTrustee() step {
	c := e.change
	api := e.api
	enabled := true
	if c.After.Enabled != nil {
		enabled = *c.After.Enabled
	}
	body := client.TrustCreate{
		PairingID:   c.After.PairingID,
		Enabled:     enabled,
		DateExpired: utc(c.After.Expires),
	}
	users := make([]client.TrustMemberCreate, 0, len(c.After.Users))
	for _, u := range c.After.Users {
		users = append(users, client.TrustMemberCreate{ID: u.ID, RoleIDs: roleIDs(u.Roles)})
	}
	if c.After.Users != nil {
		// Managed users are sent even when there are none, so the body
		// says in so many words that the trust starts without users.
		body.Users = &users
	}
	for _, g := range c.After.Groups {
		body.Groups = append(body.Groups, client.TrustMemberCreate{ID: g.ID, RoleIDs: roleIDs(g.Roles)})
	}
	return step{
		write: func(ctx context.Context) (client.Outcome, error) {
			_, o, err := api.CreateTrustee(ctx, body)
			return o, err
		},
		check: func(ctx context.Context) (liveState, string, error) {
			t, err := api.GetTrustee(ctx, c.TrusteeID)
			if client.IsNotFound(err) {
				return stateNotDone, "the trust does not exist", nil
			}
			if err != nil {
				return 0, "", err
			}
			if d := trusteeDiff(t, body.Enabled, body.DateExpired); d != "" {
				return stateConflict, "the trust exists but " + d, nil
			}
			for _, u := range users {
				st, d, err := e.memberState(ctx, userMember(c.TrusteeID, u.ID), u.RoleIDs)
				if err != nil {
					return 0, "", err
				}
				if st != stateDone {
					return stateConflict, "the trust exists but " + d, nil
				}
			}
			for _, g := range body.Groups {
				st, d, err := e.memberState(ctx, groupMember(c.TrusteeID, g.ID), g.RoleIDs)
				if err != nil {
					return 0, "", err
				}
				if st != stateDone {
					return stateConflict, "the trust exists but " + d, nil
				}
			}
			return stateDone, "", nil
		},
		confirmable: isConflict,
	}
}

// member is a trustee user or group of a trust: how to read it and its
// roles back.
type member struct {
	// what names it in messages, like "user c001…" or "group d001…".
	what string
	get  func(context.Context, API) error
	// roles reads its role assignment.
	roles func(context.Context, API) (*client.UserAuthorization, error)
}

func userMember(trusteeID, userID string) member {
	return member{
		what: "user " + userID,
		get: func(ctx context.Context, api API) error {
			_, err := api.GetTrusteeUser(ctx, trusteeID, userID)
			return err
		},
		roles: func(ctx context.Context, api API) (*client.UserAuthorization, error) {
			return api.GetTrusteeUserRoles(ctx, trusteeID, userID)
		},
	}
}

func groupMember(trusteeID, groupID string) member {
	return member{
		what: "group " + groupID,
		get: func(ctx context.Context, api API) error {
			_, err := api.GetTrusteeGroup(ctx, trusteeID, groupID)
			return err
		},
		roles: func(ctx context.Context, api API) (*client.UserAuthorization, error) {
			return api.GetTrusteeGroupRoles(ctx, trusteeID, groupID)
		},
	}
}

// memberOf returns the trustee user or group the change is about.
func (e *execution) memberOf() member {
	if e.change.Kind == plan.KindTrusteeGroup || e.change.Kind == plan.KindTrusteeGroupRoles {
		return groupMember(e.change.TrusteeID, e.change.GroupID)
	}
	return userMember(e.change.TrusteeID, e.change.UserID)
}

// addTrusteeUser is POST /trustees/{id}/users with the user's roles.
func (e *execution) addTrusteeUser() step {
	c := e.change
	api := e.api
	body := client.TrustMemberCreate{ID: c.UserID, RoleIDs: roleIDs(c.After.Roles)}
	return step{
		write: func(ctx context.Context) (client.Outcome, error) {
			_, o, err := api.AddTrusteeUser(ctx, c.TrusteeID, body)
			return o, err
		},
		check: func(ctx context.Context) (liveState, string, error) {
			return e.memberState(ctx, e.memberOf(), body.RoleIDs)
		},
		confirmable: isConflict,
	}
}

// addTrusteeGroup is POST /trustees/{id}/groups with the group's roles.
func (e *execution) addTrusteeGroup() step {
	c := e.change
	api := e.api
	body := client.TrustMemberCreate{ID: c.GroupID, RoleIDs: roleIDs(c.After.Roles)}
	return step{
		write: func(ctx context.Context) (client.Outcome, error) {
			_, o, err := api.AddTrusteeGroup(ctx, c.TrusteeID, body)
			return o, err
		},
		check: func(ctx context.Context) (liveState, string, error) {
			return e.memberState(ctx, e.memberOf(), body.RoleIDs)
		},
		confirmable: isConflict,
	}
}

// memberState reads a trustee user or group and its roles back: not done
// when it is absent, a conflict when it holds other roles.
func (e *execution) memberState(ctx context.Context, m member, want []string) (liveState, string, error) {
	if err := m.get(ctx, e.api); client.IsNotFound(err) {
		return stateNotDone, m.what + " is not in the trust", nil
	} else if err != nil {
		return 0, "", err
	}
	got, err := e.readRoles(ctx, m)
	if err != nil {
		return 0, "", err
	}
	if !sameIDs(got, want) {
		return stateConflict, fmt.Sprintf("%s holds roles %s, want %s", m.what, formatIDs(got), formatIDs(want)), nil
	}
	return stateDone, "", nil
}

// readRoles returns a trustee user's or group's sorted role ids.
func (e *execution) readRoles(ctx context.Context, m member) ([]string, error) {
	ua, err := m.roles(ctx, e.api)
	if err != nil {
		return nil, err
	}
	var ids []string
	if ua != nil {
		for _, r := range ua.Roles {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// setRoles replaces a trustee user's roles (PUT .../roles, or DELETE
// .../roles for an empty set) and always reads them back.
func (e *execution) setRoles() step {
	c := e.change
	return e.roleSet("user",
		func(ctx context.Context, want []string) (*client.UserAuthorization, error) {
			return e.api.SetTrusteeUserRoles(ctx, c.TrusteeID, c.UserID, want)
		},
		func(ctx context.Context) (client.Outcome, error) {
			return e.api.DeleteTrusteeUserRoles(ctx, c.TrusteeID, c.UserID)
		})
}

// setGroupRoles replaces a trustee group's roles (PUT
// .../groups/{id}/roles, or DELETE for an empty set) and always reads them
// back, as for users.
func (e *execution) setGroupRoles() step {
	c := e.change
	return e.roleSet("group",
		func(ctx context.Context, want []string) (*client.UserAuthorization, error) {
			return e.api.SetTrusteeGroupRoles(ctx, c.TrusteeID, c.GroupID, want)
		},
		func(ctx context.Context) (client.Outcome, error) {
			return e.api.DeleteTrusteeGroupRoles(ctx, c.TrusteeID, c.GroupID)
		})
}

// roleSet builds a role-set change of a trustee member (what is "user" or
// "group"): set writes a non-empty set, clear removes every role. The
// roles are always read back, because the service may add roles rather
// than replace them.
func (e *execution) roleSet(what string, set func(context.Context, []string) (*client.UserAuthorization, error), clear func(context.Context) (client.Outcome, error)) step {
	c := e.change
	var want []string
	if c.Action != plan.Delete && c.After != nil {
		want = roleIDs(c.After.Roles)
	}
	m := e.memberOf()
	return step{
		write: func(ctx context.Context) (client.Outcome, error) {
			if len(want) == 0 {
				return clear(ctx)
			}
			_, err := set(ctx, want)
			return client.Applied, err
		},
		check: func(ctx context.Context) (liveState, string, error) {
			got, err := e.readRoles(ctx, m)
			if client.IsNotFound(err) {
				return stateConflict, "the " + what + " is not in the trust", nil
			}
			if err != nil {
				return 0, "", err
			}
			if !sameIDs(got, want) {
				return stateNotDone, fmt.Sprintf("roles read back as %s, want %s", formatIDs(got), formatIDs(want)), nil
			}
			return stateDone, "", nil
		},
		confirmable:  client.IsNotFound,
		alwaysCheck:  true,
		mismatchHint: "the service may add rather than replace roles",
	}
}

// trusteeDiff describes how a live trust differs from the wanted settings,
// or returns "" when it matches.
func trusteeDiff(t *client.Trustee, enabled bool, expires *time.Time) string {
	if t == nil {
		return "the trust could not be read"
	}
	var d []string
	if t.Enabled != enabled {
		d = append(d, fmt.Sprintf("enabled is %t, want %t", t.Enabled, enabled))
	}
	if !sameTime(t.DateExpired, expires) {
		d = append(d, fmt.Sprintf("dateExpired is %s, want %s", expiry.FormatPtr(t.DateExpired), expiry.FormatPtr(expires)))
	}
	if len(d) == 0 {
		return ""
	}
	return joinWords(d)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func joinWords(parts []string) string { return strings.Join(parts, " and ") }
