package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/printable"
)

// API is the part of the API client that [Read] uses. *client.Client
// satisfies it. Every method returns a complete, strictly decoded answer or
// an error, never a zero value standing in for one it could not read.
type API interface {
	GetOrganizationMe(ctx context.Context) (*client.Organization, error)
	ListRoles(ctx context.Context) ([]client.Role, error)
	ListCareTrustees(ctx context.Context) ([]string, error)
	ListTrustees(ctx context.Context) ([]client.Trustee, error)
	ListTrusteeUsers(ctx context.Context, trusteeOrgID string) ([]client.TrustUser, error)
	GetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (*client.UserAuthorization, error)
	ListTrusteeGroups(ctx context.Context, trusteeOrgID string) ([]client.TrustGroup, error)
	GetTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string) (*client.UserAuthorization, error)
	ListTrustors(ctx context.Context) ([]client.Trustor, error)
	ListTrustorUsers(ctx context.Context, trustorOrgID string) ([]client.TrustUser, error)
	ListTrustorGroups(ctx context.Context, trustorOrgID string) ([]client.TrustGroup, error)
	GetPairing(ctx context.Context, pairingID string) (*client.TrustRequest, error)
	GetUsersByID(ctx context.Context, ids []string) ([]client.User, error)
}

var _ API = (*client.Client)(nil)

// Scope says what [Read] reads besides the org itself and its roles. Plan
// fills it from the configuration: only what the files manage is read.
type Scope struct {
	// Trustees reads the trusts the org grants, their users and each
	// user's roles, and the Genesys Customer Care org ids.
	Trustees bool
	// TrusteeGroups also reads the groups of each trust the org grants,
	// with each group's roles (only files that manage groups need them).
	// It implies nothing without Trustees.
	TrusteeGroups bool
	// Trustors reads the trusts other orgs grant the org, with the org's
	// users in them.
	Trustors bool
	// TrustorGroups also reads the org's groups in each trust granted to
	// it. It implies nothing without Trustors.
	TrustorGroups bool
	// PairingIDs are pairings to read (GET /pairings/{id}) for the trusts
	// plan would create, so it can check that each exists, belongs to the
	// trustee org named and has not expired. Results are in
	// [State.Pairings].
	PairingIDs []string
	// OwnUserIDs are users of the org (named in trustors entries) whose
	// existence plan checks; they are read once, in batches of up to
	// [client.MaxUsersPerCall] ids a request. Results are in
	// [State.OwnUsers].
	OwnUserIDs []string
	// PinOrgID, when set, must be the id organizations/me answers
	// (compared case-insensitively); otherwise Read stops right after that
	// first request with a [*PinError].
	PinOrgID string
	// Then, when set, is called once everything else the scope names has
	// been read (with that state, sorted) and returns more to check: the
	// pairings and own users that only the live trusts tell are needed
	// (for example the pairings of just the trusts that do not exist yet).
	// They are read in a second, short phase, together with PairingIDs
	// and OwnUserIDs.
	Then func(*State) Checks
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
// organizations/me first (checking scope.PinOrgID), then all roles, and
// what scope asks for, independent objects concurrently. Read starts its
// requests freely: the API client is the one owner of concurrency and
// admits at most its configured number at a time. The result is sorted
// (see [State]). Any failed request fails the whole read: a partial state
// would make a plan that deletes what it did not see.
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
		Org:               Org{ID: me.ID, Name: printable.String(me.Name)},
		ReadAt:            readAt,
		TrusteesRead:      scope.Trustees,
		TrusteeGroupsRead: scope.Trustees && scope.TrusteeGroups,
		TrustorsRead:      scope.Trustors,
		TrustorGroupsRead: scope.Trustors && scope.TrustorGroups,
	}
	if scope.PinOrgID != "" && !strings.EqualFold(scope.PinOrgID, me.ID) {
		return nil, &PinError{Want: scope.PinOrgID, Got: st.Org}
	}

	r := newReader(ctx, api, st, tr)
	r.spawn(r.roles)
	if scope.Trustees {
		r.spawn(r.care)
		r.spawn(r.trustees)
	}
	if scope.Trustors {
		r.spawn(r.trustors)
	}
	checks := Checks{PairingIDs: scope.PairingIDs, OwnUserIDs: scope.OwnUserIDs}
	if scope.Then == nil {
		r.checks(checks)
	}
	if err := r.wait(); err != nil {
		return nil, err
	}
	st.normalize()
	if scope.Then != nil {
		if err := r.then(ctx, checks, scope.Then); err != nil {
			return nil, err
		}
		st.normalize()
	}
	return st, nil
}

// concurrencyHint is what an [API] that bounds its requests in flight
// tells about the bound (*client.Client does); Read starts as many workers.
type concurrencyHint interface{ Concurrency() int }

// reader runs the requests of one Read. Tasks queue up and a fixed set of
// workers, as many as the API client admits requests at once, runs them:
// a read of 100,000 role reads holds 100,000 small closures, not as many
// goroutines. Listings (which reveal more work) run before the role reads
// of single users, so the queue of work stays full and the read ends with
// the short tasks. Each task writes only its own part of st (distinct
// slice elements), and st is read only after wait, so st needs no lock.
type reader struct {
	api API
	st  *State
	tr  *tracker

	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	cond *sync.Cond
	// first and leaf are the queued tasks (listings, then single reads),
	// each consumed from its head; pending counts queued and running ones.
	first, leaf queue
	pending     int
	err         error // the first task error; it stops the read

	// roles interns role ids: an org has a few hundred roles at most, read
	// once per trust user, so each id is kept once instead of per user.
	rolesMu   sync.Mutex
	roleIDSet map[string]string
}

// queue is a FIFO of tasks.
type queue struct {
	tasks []func(ctx context.Context) error
	head  int
}

func (q *queue) push(t func(ctx context.Context) error) { q.tasks = append(q.tasks, t) }

func (q *queue) pop() (func(ctx context.Context) error, bool) {
	if q.head == len(q.tasks) {
		return nil, false
	}
	t := q.tasks[q.head]
	q.tasks[q.head] = nil
	q.head++
	if q.head == len(q.tasks) {
		q.tasks, q.head = q.tasks[:0], 0
	}
	return t, true
}

func newReader(ctx context.Context, api API, st *State, tr *tracker) *reader {
	r := &reader{api: api, st: st, tr: tr, roleIDSet: map[string]string{}}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.cond = sync.NewCond(&r.mu)
	return r
}

// restart readies the reader for another phase after wait returned nil:
// a fresh context under ctx for the tasks queued next.
func (r *reader) restart(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctx, r.cancel = context.WithCancel(ctx)
}

// spawn queues one request-making task (a listing, or one that makes
// more work). Tasks spawn their follow-up tasks without waiting for them.
func (r *reader) spawn(task func(ctx context.Context) error) { r.enqueue(task, false) }

// spawnLeaf queues a task that makes one request and no more work.
func (r *reader) spawnLeaf(task func(ctx context.Context) error) { r.enqueue(task, true) }

func (r *reader) enqueue(task func(ctx context.Context) error, leaf bool) {
	r.tr.add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if leaf {
		r.leaf.push(task)
	} else {
		r.first.push(task)
	}
	r.pending++
	r.cond.Signal()
}

// next waits for a task; it returns false once every task has ended or a
// task failed.
func (r *reader) next() (func(ctx context.Context) error, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.err != nil || r.pending == 0 {
			return nil, false
		}
		if t, ok := r.first.pop(); ok {
			return t, true
		}
		if t, ok := r.leaf.pop(); ok {
			return t, true
		}
		r.cond.Wait()
	}
}

// finish records the end of a task.
func (r *reader) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending--
	if err != nil && r.err == nil {
		r.err = err
		r.cancel()
	}
	if r.pending == 0 || r.err != nil {
		r.cond.Broadcast()
	}
}

// roleIDs returns ids with each id replaced by the copy seen first.
func (r *reader) roleIDs(ids []string) []string {
	r.rolesMu.Lock()
	defer r.rolesMu.Unlock()
	for i, id := range ids {
		if kept, ok := r.roleIDSet[id]; ok {
			ids[i] = kept
		} else {
			r.roleIDSet[id] = id
		}
	}
	return ids
}

// wait runs the queued tasks, and those they queue, on the workers and
// returns the first error.
func (r *reader) wait() error {
	defer r.cancel()
	workers := client.DefaultConcurrency
	if h, ok := r.api.(concurrencyHint); ok && h.Concurrency() > 0 {
		workers = h.Concurrency()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				task, ok := r.next()
				if !ok {
					return
				}
				err := r.ctx.Err()
				if err == nil {
					err = task(r.ctx)
				}
				r.tr.done()
				r.finish(err)
			}
		})
	}
	wg.Wait()
	return r.err
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

// care reads the Customer Care org ids. Protection depends on them, so the
// client reads them strictly and any failure fails the read.
func (r *reader) care(ctx context.Context) error {
	ids, err := r.api.ListCareTrustees(ctx)
	if err != nil {
		return fmt.Errorf("list Customer Care orgs (needed to protect their trusts): %w", err)
	}
	r.st.CareOrgIDs = append([]string{}, ids...)
	return nil
}

func (r *reader) trustees(ctx context.Context) error {
	list, err := r.api.ListTrustees(ctx)
	if err != nil {
		return fmt.Errorf("list trustees: %w", err)
	}
	r.st.Trustees = make([]Trustee, len(list))
	for i, t := range list {
		lt := &r.st.Trustees[i]
		*lt = Trustee{
			OrgID: t.ID, Enabled: t.Enabled, Expires: t.DateExpired,
			HasFullAccess: deref(t.HasFullAccess), IsTrustedUser: deref(t.IsTrustedUser),
		}
		if o := t.Organization; o != nil {
			lt.OrgName = printable.String(o.Name)
		}
		r.spawn(func(ctx context.Context) error { return r.trusteeUsers(ctx, lt) })
		if r.st.TrusteeGroupsRead {
			r.spawn(func(ctx context.Context) error { return r.trusteeGroups(ctx, lt) })
		}
	}
	return nil
}

// addedOf is when and by whom a user was added to a trust, from the
// listing's trustUserDetails; nil when they say neither.
func addedOf(d *client.TrustUserDetails) *Added {
	if d == nil {
		return nil
	}
	var a Added
	if d.DateCreated != nil && !d.DateCreated.IsZero() {
		at := d.DateCreated.UTC()
		a.At = &at
	}
	if b := d.CreatedBy; b != nil && (b.ID != "" || b.Name != "") {
		a.By = &User{ID: printable.String(b.ID), Name: printable.String(b.Name)}
	}
	if a.At == nil && a.By == nil {
		return nil
	}
	return &a
}

func deref(b *bool) bool { return b != nil && *b }

func (r *reader) trusteeUsers(ctx context.Context, lt *Trustee) error {
	users, err := r.api.ListTrusteeUsers(ctx, lt.OrgID)
	if err != nil {
		return fmt.Errorf("list users of trustee %s: %w", lt.OrgID, err)
	}
	lt.Users = make([]TrusteeUser, len(users))
	for i, u := range users {
		lu := &lt.Users[i]
		*lu = TrusteeUser{ID: u.ID, Name: printable.String(u.Name), Added: addedOf(u.TrustUserDetails)}
		r.spawnLeaf(func(ctx context.Context) error {
			auth, err := r.api.GetTrusteeUserRoles(ctx, lt.OrgID, lu.ID)
			if err != nil {
				return fmt.Errorf("read roles of user %s in trustee %s: %w", lu.ID, lt.OrgID, err)
			}
			lu.RoleIDs = r.roleIDs(auth.RoleIDs())
			return nil
		})
	}
	return nil
}

func (r *reader) trusteeGroups(ctx context.Context, lt *Trustee) error {
	groups, err := r.api.ListTrusteeGroups(ctx, lt.OrgID)
	if err != nil {
		return fmt.Errorf("list groups of trustee %s: %w", lt.OrgID, err)
	}
	lt.Groups = make([]TrusteeGroup, len(groups))
	for i, g := range groups {
		lg := &lt.Groups[i]
		*lg = TrusteeGroup{ID: g.ID, Name: printable.String(g.Name), MemberCount: g.MemberCount}
		r.spawnLeaf(func(ctx context.Context) error {
			auth, err := r.api.GetTrusteeGroupRoles(ctx, lt.OrgID, lg.ID)
			if err != nil {
				return fmt.Errorf("read roles of group %s in trustee %s: %w", lg.ID, lt.OrgID, err)
			}
			lg.RoleIDs = r.roleIDs(auth.RoleIDs())
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
	r.st.Trustors = make([]Trustor, len(list))
	for i, t := range list {
		lt := &r.st.Trustors[i]
		*lt = Trustor{OrgID: t.ID, Enabled: t.Enabled}
		if o := t.Organization; o != nil {
			lt.OrgName = printable.String(o.Name)
		}
		r.spawn(func(ctx context.Context) error {
			users, err := r.api.ListTrustorUsers(ctx, lt.OrgID)
			if err != nil {
				return fmt.Errorf("list users of trustor %s: %w", lt.OrgID, err)
			}
			lt.Users = make([]User, 0, len(users))
			for _, u := range users {
				lt.Users = append(lt.Users, User{ID: u.ID, Name: printable.String(u.Name), Added: addedOf(u.TrustUserDetails)})
			}
			return nil
		})
		if r.st.TrustorGroupsRead {
			r.spawn(func(ctx context.Context) error {
				groups, err := r.api.ListTrustorGroups(ctx, lt.OrgID)
				if err != nil {
					return fmt.Errorf("list groups of trustor %s: %w", lt.OrgID, err)
				}
				lt.Groups = make([]Group, 0, len(groups))
				for _, g := range groups {
					lt.Groups = append(lt.Groups, Group{ID: g.ID, Name: printable.String(g.Name), MemberCount: g.MemberCount})
				}
				return nil
			})
		}
	}
	return nil
}

// pairings reads each distinct pairing id once. A pairing the service
// does not know (404) is recorded as not existing, for plan to report
// where the file names it; any other failure fails the read.
func (r *reader) pairings(ids []string) {
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[strings.ToLower(id)] {
			continue
		}
		seen[strings.ToLower(id)] = true
		r.st.Pairings = append(r.st.Pairings, Pairing{ID: id})
	}
	for i := range r.st.Pairings {
		lp := &r.st.Pairings[i]
		r.spawn(func(ctx context.Context) error {
			p, err := r.api.GetPairing(ctx, lp.ID)
			if client.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read pairing %s: %w", lp.ID, err)
			}
			lp.Exists = true
			lp.DateCreated = p.DateCreated
			if p.Trustee != nil {
				lp.TrusteeOrg = Org{ID: p.Trustee.ID, Name: printable.String(p.Trustee.Name)}
			}
			lp.Users = make([]User, 0, len(p.Users))
			for _, u := range p.Users {
				lp.Users = append(lp.Users, User{ID: u.ID, Name: printable.String(u.Name)})
			}
			lp.Groups = make([]Group, 0, len(p.Groups))
			for _, g := range p.Groups {
				lp.Groups = append(lp.Groups, Group{ID: g.ID, Name: printable.String(g.Name)})
			}
			return nil
		})
	}
}

// ownUsers checks which of ids are users of the org, in batches (one
// request per client.MaxUsersPerCall ids).
func (r *reader) ownUsers(ctx context.Context, ids []string) error {
	users, err := r.api.GetUsersByID(ctx, ids)
	if err != nil {
		return fmt.Errorf("check the org's own users named in trustors: %w", err)
	}
	r.st.OwnUsers = make([]User, 0, len(users))
	for _, u := range users {
		r.st.OwnUsers = append(r.st.OwnUsers, User{ID: u.ID, Name: printable.String(u.Name)})
	}
	return nil
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
