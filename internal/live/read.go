package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/printable"
)

// DefaultConcurrency is how many reads [Read] keeps in flight when
// [Scope.Concurrency] is zero.
const DefaultConcurrency = 8

// API is the part of the API client that [Read] uses. *client.Client
// satisfies it.
type API interface {
	GetOrganizationMe(ctx context.Context) (*client.Organization, error)
	ListRoles(ctx context.Context) ([]client.Role, error)
	ListCareTrustees(ctx context.Context) ([]string, error)
	ListTrustees(ctx context.Context) ([]client.Trustee, error)
	ListTrusteeUsers(ctx context.Context, trusteeOrgID string) ([]client.TrustUser, error)
	GetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (*client.UserAuthorization, error)
	ListTrustors(ctx context.Context) ([]client.Trustor, error)
	ListTrustorUsers(ctx context.Context, trustorOrgID string) ([]client.TrustUser, error)
}

var _ API = (*client.Client)(nil)

// Scope says what [Read] reads besides the org itself and its roles.
type Scope struct {
	// Trustees reads the trusts the org grants, their users and each
	// user's roles, and the Genesys Customer Care org ids.
	Trustees bool
	// Trustors reads the trusts other orgs grant the org, with the org's
	// users in them.
	Trustors bool
	// PinOrgID, when set, must be the id organizations/me answers
	// (compared case-insensitively); otherwise Read stops right after that
	// first request with a [*PinError].
	PinOrgID string
	// Concurrency bounds the reads in flight; 0 means DefaultConcurrency.
	// The client applies its own limit too.
	Concurrency int
	// Progress, when set, is called after every request with the running
	// count. Calls are serialized; Total grows as listings reveal more to
	// read.
	Progress func(Progress)
	// Now is the clock that sets [State.ReadAt]; nil means time.Now.
	Now func() time.Time
}

// Progress counts the requests of a [Read].
type Progress struct {
	Done  int
	Total int
}

// PinError reports that the credentials belong to another org than the
// configuration is pinned to.
type PinError struct {
	Want string // the pinned org id
	Got  Org    // the org the credentials belong to
}

func (e *PinError) Error() string {
	got := e.Got.ID
	if e.Got.Name != "" {
		got = fmt.Sprintf("%s (%s)", e.Got.Name, e.Got.ID)
	}
	return fmt.Sprintf("the configuration is pinned to organization %s, but the credentials belong to %s", e.Want, got)
}

// Read reads the live state of the org the API's credentials belong to:
// organizations/me first (checking scope.PinOrgID), then all roles, and the
// sections scope asks for, independent objects concurrently. The result is
// sorted (see [State]). Any failed request fails the whole read: a partial
// state would make a plan that deletes what it did not see.
func Read(ctx context.Context, api API, scope Scope) (*State, error) {
	now := time.Now
	if scope.Now != nil {
		now = scope.Now
	}
	readAt := now().UTC()
	tr := &tracker{fn: scope.Progress}
	tr.add(1)
	me, err := api.GetOrganizationMe(ctx)
	tr.done()
	if err != nil {
		return nil, fmt.Errorf("read organization: %w", err)
	}
	if me == nil || me.ID == "" {
		return nil, errors.New("read organization: the answer has no organization id")
	}
	st := &State{
		Org:          Org{ID: me.ID, Name: printable.String(me.Name)},
		ReadAt:       readAt,
		TrusteesRead: scope.Trustees,
		TrustorsRead: scope.Trustors,
	}
	if scope.PinOrgID != "" && !strings.EqualFold(scope.PinOrgID, me.ID) {
		return nil, &PinError{Want: scope.PinOrgID, Got: st.Org}
	}

	r := &reader{api: api, st: st, tr: tr}
	limit := scope.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	r.sem = make(chan struct{}, limit)
	r.g, r.ctx = errgroup.WithContext(ctx)

	r.spawn(r.roles)
	if scope.Trustees {
		r.spawn(r.care)
		r.spawn(r.trustees)
	}
	if scope.Trustors {
		r.spawn(r.trustors)
	}
	if err := r.g.Wait(); err != nil {
		return nil, err
	}
	st.normalize()
	return st, nil
}

// reader runs the requests of one Read. Each task writes only its own part
// of st (distinct slice elements), and st is read only after the group's
// Wait, so no locking is needed.
type reader struct {
	api API
	st  *State
	tr  *tracker
	g   *errgroup.Group
	ctx context.Context
	sem chan struct{}
}

// spawn runs one request-making task in the group, within the concurrency
// limit. Tasks spawn their follow-up tasks without waiting for them, so the
// limit cannot deadlock.
func (r *reader) spawn(task func(ctx context.Context) error) {
	r.tr.add(1)
	r.g.Go(func() error {
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
		err := task(r.ctx)
		<-r.sem
		r.tr.done()
		return err
	})
}

func (r *reader) roles(ctx context.Context) error {
	roles, err := r.api.ListRoles(ctx)
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	r.st.Roles = make([]Role, 0, len(roles))
	for _, x := range roles {
		r.st.Roles = append(r.st.Roles, Role{ID: x.ID, Name: printable.String(x.Name)})
	}
	return nil
}

func (r *reader) care(ctx context.Context) error {
	ids, err := r.api.ListCareTrustees(ctx)
	if err != nil {
		return fmt.Errorf("list Customer Care orgs: %w", err)
	}
	r.st.CareOrgIDs = append([]string{}, ids...)
	return nil
}

func (r *reader) trustees(ctx context.Context) error {
	list, err := r.api.ListTrustees(ctx)
	if err != nil {
		return fmt.Errorf("list trustees: %w", err)
	}
	list = uniqueBy(list, func(t client.Trustee) string { return t.ID })
	r.st.Trustees = make([]Trustee, len(list))
	for i, t := range list {
		lt := &r.st.Trustees[i]
		*lt = Trustee{OrgID: t.ID, Enabled: t.Enabled, Expires: t.DateExpired}
		if o := t.Organization; o != nil {
			lt.OrgName = printable.String(o.Name)
			if lt.OrgID == "" {
				lt.OrgID = o.ID
			}
		}
		if lt.OrgID == "" {
			return errors.New("list trustees: a trustee has no organization id")
		}
		r.spawn(func(ctx context.Context) error { return r.trusteeUsers(ctx, lt) })
	}
	return nil
}

func (r *reader) trusteeUsers(ctx context.Context, lt *Trustee) error {
	users, err := r.api.ListTrusteeUsers(ctx, lt.OrgID)
	if err != nil {
		return fmt.Errorf("list users of trustee %s: %w", lt.OrgID, err)
	}
	users = uniqueBy(users, func(u client.TrustUser) string { return u.ID })
	lt.Users = make([]TrusteeUser, len(users))
	for i, u := range users {
		lu := &lt.Users[i]
		*lu = TrusteeUser{ID: u.ID, Name: printable.String(u.Name)}
		r.spawn(func(ctx context.Context) error {
			auth, err := r.api.GetTrusteeUserRoles(ctx, lt.OrgID, lu.ID)
			if err != nil {
				return fmt.Errorf("read roles of user %s in trustee %s: %w", lu.ID, lt.OrgID, err)
			}
			lu.RoleIDs = auth.RoleIDs()
			return nil
		})
	}
	return nil
}

func (r *reader) trustors(ctx context.Context) error {
	list, err := r.api.ListTrustors(ctx)
	if err != nil {
		return fmt.Errorf("list trustors: %w", err)
	}
	list = uniqueBy(list, func(t client.Trustor) string { return t.ID })
	r.st.Trustors = make([]Trustor, len(list))
	for i, t := range list {
		lt := &r.st.Trustors[i]
		*lt = Trustor{OrgID: t.ID, Enabled: t.Enabled, Expires: t.DateExpired}
		if o := t.Organization; o != nil {
			lt.OrgName = printable.String(o.Name)
			if lt.OrgID == "" {
				lt.OrgID = o.ID
			}
		}
		if lt.OrgID == "" {
			return errors.New("list trustors: a trustor has no organization id")
		}
		r.spawn(func(ctx context.Context) error {
			users, err := r.api.ListTrustorUsers(ctx, lt.OrgID)
			if err != nil {
				return fmt.Errorf("list users of trustor %s: %w", lt.OrgID, err)
			}
			users = uniqueBy(users, func(u client.TrustUser) string { return u.ID })
			lt.Users = make([]User, 0, len(users))
			for _, u := range users {
				lt.Users = append(lt.Users, User{ID: u.ID, Name: printable.String(u.Name)})
			}
			return nil
		})
	}
	return nil
}

// uniqueBy drops later items whose key repeats an earlier one's: a listing
// read page by page while the org changes can return an object twice.
// Items with an empty key are kept.
func uniqueBy[T any](items []T, key func(T) string) []T {
	seen := make(map[string]bool, len(items))
	out := items[:0:0]
	for _, it := range items {
		k := strings.ToLower(key(it))
		if k != "" && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, it)
	}
	return out
}

// tracker counts requests and reports progress, one call at a time.
type tracker struct {
	mu              sync.Mutex
	fn              func(Progress)
	finished, total int
}

func (t *tracker) add(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += n
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished++
	if t.fn != nil {
		t.fn(Progress{Done: t.finished, Total: t.total})
	}
}
