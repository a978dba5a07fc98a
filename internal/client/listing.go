package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// How a listing is read. A listing is read page by page at the maximum
// page size; the pages must agree with one another and with the total the
// first page announces (see [ListingError]). One that does not is read
// again from page 1, up to listingRereads times, since an org that changes
// while it is read shifts its pages; then the read fails.
const (
	listingRereads = 2
	// maxListingPages bounds a listing whatever its total says.
	maxListingPages = 10000
)

// ListingError is a listing whose pages did not agree with one another or
// with the total, on every read.
type ListingError struct {
	// Path is the listing's path (no query).
	Path string
	// Reads is how many times it was read from page 1.
	Reads int
	// Reason says what disagreed on the last read.
	Reason string
}

func (e *ListingError) Error() string {
	return fmt.Sprintf("GET %s: the listing is inconsistent after %d reads: %s", e.Path, e.Reads, e.Reason)
}

// inconsistent is a disagreement found while reading a listing: the
// listing is read again.
type inconsistent struct{ reason string }

func (e *inconsistent) Error() string { return e.reason }

// listDeadline is how long one read of a listing of n pages may take: the
// call deadline for the first page and one more for every 10 pages.
func (c *Client) listDeadline(pages int) time.Duration {
	return c.deadline * time.Duration(1+(pages+9)/10)
}

// listAll reads every page of a listing strictly; any failing page, and a
// listing still inconsistent after the rereads, fails the whole listing.
// The ids of T (see idOf) must be unique.
func listAll[T any](ctx context.Context, c *Client, path string, extra url.Values) ([]T, error) {
	var last *inconsistent
	for read := 1; read <= 1+listingRereads; read++ {
		all, err := readListing[T](ctx, c, path, extra)
		if err == nil {
			return all, nil
		}
		if inc, ok := errors.AsType[*inconsistent](err); ok {
			last = inc
			continue
		}
		return nil, err
	}
	return nil, &ListingError{Path: path, Reads: 1 + listingRereads, Reason: last.reason}
}

// readListing reads a listing once from page 1. It returns an
// *inconsistent when the pages disagree.
func readListing[T any](ctx context.Context, c *Client, path string, extra url.Values) ([]T, error) {
	start := time.Now()
	first, err := getPage[T](ctx, c, path, extra, 1, c.pageSize)
	if err != nil {
		return nil, err
	}
	size := c.pageSize
	if first.PageSize > 0 {
		size = min(size, first.PageSize)
	}
	total := first.Total
	if total < 0 {
		return nil, &inconsistent{fmt.Sprintf("total is %d", total)}
	}
	pages := int((total + int64(size) - 1) / int64(size))
	if pages > maxListingPages {
		return nil, fmt.Errorf("GET %s: the listing announces %d entities, more than %d pages of %d", path, total, maxListingPages, size)
	}
	if first.PageCount != pages && !(pages == 0 && first.PageCount == 1) {
		return nil, &inconsistent{fmt.Sprintf("page 1 says %d pages for a total of %d at %d a page", first.PageCount, total, size)}
	}
	// The whole read has a deadline derived from the pages it needs.
	ctx, cancel := context.WithDeadline(ctx, start.Add(c.listDeadline(pages)))
	defer cancel()

	all := make([]T, 0, total)
	seen := make(map[string]int, total)
	add := func(page int, l *Listing[T]) error {
		want := size
		if page == max(pages, 1) {
			want = int(total) - (max(pages, 1)-1)*size
		}
		if len(l.Entities) != want {
			return &inconsistent{fmt.Sprintf("page %d of %d has %d entities, want %d for a total of %d", page, pages, len(l.Entities), want, total)}
		}
		for _, e := range l.Entities {
			id := strings.ToLower(idOf(e))
			if p, dup := seen[id]; dup && id != "" {
				return &inconsistent{fmt.Sprintf("id %s is on page %d and again on page %d", idOf(e), p, page)}
			}
			seen[id] = page
			all = append(all, e)
		}
		return nil
	}
	if err := add(1, first); err != nil {
		return nil, err
	}
	for page := 2; page <= pages; page++ {
		l, err := getPage[T](ctx, c, path, extra, page, size)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("GET %s: reading %d pages took longer than %s: %w", path, pages, c.listDeadline(pages), err)
			}
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		if l.Total != total || l.PageCount != pages {
			return nil, &inconsistent{fmt.Sprintf("page %d says a total of %d in %d pages, page 1 said %d in %d", page, l.Total, l.PageCount, total, pages)}
		}
		if err := add(page, l); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// getPage reads one page of a listing.
func getPage[T any](ctx context.Context, c *Client, path string, extra url.Values, pageNumber, pageSize int) (*Listing[T], error) {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	q.Set("pageSize", strconv.Itoa(pageSize))
	q.Set("pageNumber", strconv.Itoa(pageNumber))
	var l Listing[T]
	if _, err := c.do(ctx, get(path, q), &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// identified is an entity with an id.
type identified interface{ entityID() string }

func (r Role) entityID() string       { return r.ID }
func (u User) entityID() string       { return u.ID }
func (u TrustUser) entityID() string  { return u.ID }
func (g TrustGroup) entityID() string { return g.ID }
func (t Trustee) entityID() string    { return t.ID }
func (t Trustor) entityID() string    { return t.ID }

// idOf returns e's id, or "" for an entity type without one.
func idOf[T any](e T) string {
	if x, ok := any(e).(identified); ok {
		return x.entityID()
	}
	return ""
}
