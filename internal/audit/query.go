package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/client"
)

// Querier is the part of the API client the audit queries use.
// *client.Client satisfies it.
type Querier interface {
	QueryTrusteeAudits(ctx context.Context, q client.TrusteeAuditQuery, opts client.AuditPageOptions) (*client.AuditPage, error)
	QueryTrustorAudits(ctx context.Context, q client.TrustorAuditQuery, opts client.AuditPageOptions) (*client.AuditPage, error)
}

var _ Querier = (*client.Client)(nil)

// Permission is what the audit queries need.
const Permission = "authorization:audit:view"

// PageSize is how many entries each page asks for.
const PageSize = 100

// DefaultMaxPages bounds how many pages one query reads when
// [Query.MaxPages] is zero.
const DefaultMaxPages = 50

// Query selects audit entries.
type Query struct {
	// Home is this org's id.
	Home string
	// TrusteeIDs are the trustee orgs of trusts this org grants whose
	// entries to read (one query for all of them); TrustorIDs the trustor
	// orgs of trusts granted to this org (one query each).
	TrusteeIDs []string
	TrustorIDs []string
	// UserIDs narrows every query to these users' entries; empty means
	// every entry, including those about the trusts themselves.
	UserIDs []string
	// Since (inclusive) and Until (exclusive) bound the entries' times;
	// zero means open. Entries without a time are kept: the service
	// filtered them.
	Since, Until time.Time
	// MaxPages bounds the pages read per query; 0 means DefaultMaxPages.
	MaxPages int
}

// Result is what [Fetch] read.
type Result struct {
	// Entries, newest first; entries without a time come last.
	Entries []Entry
	// Truncated is true when some query had more pages than MaxPages.
	Truncated bool
	// Queries counts the audit requests made (pages included).
	Queries int
}

// ForbiddenError reports a 403 answer to an audit query.
type ForbiddenError struct{ Err error }

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("reading the audit log needs the permission %s: %v", Permission, e.Err)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// Fetch runs q: one trustee-side query for all of q.TrusteeIDs and one
// trustor-side query per trustor, each read page by page, newest first,
// until a short or last page or MaxPages. Entries whose trust or time is
// known to be outside q are dropped, as are repeats of an id. A 403 is a
// [*ForbiddenError].
func Fetch(ctx context.Context, api Querier, q Query) (*Result, error) {
	res := &Result{}
	seen := map[string]bool{}
	keep := func(e Entry) {
		if e.ID != "" {
			if seen[e.ID] {
				return
			}
			seen[e.ID] = true
		}
		if !e.At.IsZero() && ((!q.Since.IsZero() && e.At.Before(q.Since)) || (!q.Until.IsZero() && !e.At.Before(q.Until))) {
			return
		}
		res.Entries = append(res.Entries, e)
	}
	if len(q.TrusteeIDs) > 0 {
		wanted := lowerSet(q.TrusteeIDs)
		body := client.TrusteeAuditQuery{TrusteeOrganizationIDs: q.TrusteeIDs, TrusteeUserIDs: q.UserIDs, StartDate: timeOrNil(q.Since), EndDate: timeOrNil(q.Until)}
		err := pages(ctx, q, res, func(ctx context.Context, opts client.AuditPageOptions) (*client.AuditPage, error) {
			return api.QueryTrusteeAudits(ctx, body, opts)
		}, func(m client.AuditLogMessage) bool {
			e := Normalize(m, TrusteeSide, q.Home, q.TrusteeIDs)
			if e.TrusteeID == "" || wanted[strings.ToLower(e.TrusteeID)] {
				keep(e)
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("read the audit log of trustees: %w", err)
		}
	}
	for _, id := range q.TrustorIDs {
		body := client.TrustorAuditQuery{TrustorOrganizationID: id, TrusteeUserIDs: q.UserIDs, StartDate: timeOrNil(q.Since), EndDate: timeOrNil(q.Until)}
		err := pages(ctx, q, res, func(ctx context.Context, opts client.AuditPageOptions) (*client.AuditPage, error) {
			return api.QueryTrustorAudits(ctx, body, opts)
		}, func(m client.AuditLogMessage) bool {
			e := Normalize(m, TrustorSide, q.Home, []string{id})
			if e.TrustorID == "" || strings.EqualFold(e.TrustorID, id) {
				keep(e)
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("read the audit log of trustor %s: %w", id, err)
		}
	}
	SortNewestFirst(res.Entries)
	return res, nil
}

// pages reads one query newest first, handing each message to each until
// it returns false, the pages end or q.MaxPages is reached (then
// res.Truncated is set).
func pages(ctx context.Context, q Query, res *Result, page func(context.Context, client.AuditPageOptions) (*client.AuditPage, error), each func(client.AuditLogMessage) bool) error {
	limit := q.MaxPages
	if limit <= 0 {
		limit = DefaultMaxPages
	}
	for n := 1; ; n++ {
		if n > limit {
			res.Truncated = true
			return nil
		}
		res.Queries++
		p, err := page(ctx, client.AuditPageOptions{PageNumber: n, PageSize: PageSize, SortBy: "timestamp", SortOrder: "descending"})
		if err != nil {
			var ae *client.APIError
			if errors.As(err, &ae) && ae.Status == 403 {
				return &ForbiddenError{Err: err}
			}
			if n > 1 {
				return fmt.Errorf("page %d: %w", n, err)
			}
			return err
		}
		if p == nil {
			return nil
		}
		for _, m := range p.Entities {
			if !each(m) {
				return nil
			}
		}
		if len(p.Entities) == 0 || (p.PageCount > 0 && n >= p.PageCount) ||
			(p.PageCount <= 0 && len(p.Entities) < PageSize) {
			return nil
		}
	}
}

// SortNewestFirst sorts entries by time, newest first, entries without a
// time last, then by id, so the order never depends on the service's.
func SortNewestFirst(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		if a.At.IsZero() != b.At.IsZero() {
			if a.At.IsZero() {
				return 1
			}
			return -1
		}
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func lowerSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = true
	}
	return m
}
