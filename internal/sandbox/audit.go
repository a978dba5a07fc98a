package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// audit appends one entry to the audit log about trust t. ctxKey is ""
// for an entry about the trust itself (entity = the trustee org); else it
// is ctxUserID or ctxGroupID and the entry is about that user or group.
func (c *call) audit(entityType, action string, t *trustRec, ctxKey, id string, changes []PropertyChange) {
	ctx := map[string]string{ctxTrustorOrgID: t.Trustor, ctxTrusteeOrgID: t.Trustee}
	var entity AuditEntity
	switch ctxKey {
	case "":
		entity = AuditEntity{ID: t.Trustee, Name: c.st.orgByID[t.Trustee].Name}
	case ctxUserID:
		ctx[ctxKey] = id
		entity = AuditEntity{ID: id, Name: c.st.userByID[id].user.Name}
	case ctxGroupID:
		ctx[ctxKey] = id
		entity = AuditEntity{ID: id, Name: c.st.groupByID[id].group.Name}
	}
	c.appendAudit(entityType, action, entity, ctx, changes)
}

// auditPairing records the creation of pairing p. Its context has no
// trustor, so neither audit query returns it.
func (c *call) auditPairing(p *pairingRec) {
	changes := []PropertyChange{}
	if len(p.UserIDs) > 0 {
		changes = append(changes, change("userIds", nil, slices.Clone(p.UserIDs)))
	}
	if len(p.GroupIDs) > 0 {
		changes = append(changes, change("groupIds", nil, slices.Clone(p.GroupIDs)))
	}
	c.appendAudit(entityPairing, actionCreate, AuditEntity{ID: p.ID}, map[string]string{ctxTrusteeOrgID: p.Trustee}, changes)
}

// appendAudit appends an entry made by the caller. Every sandbox token is
// a client-credentials token, which acts as its OAuth client: the entry
// names the client and has no user.
func (c *call) appendAudit(entityType, action string, entity AuditEntity, ctx map[string]string, changes []PropertyChange) {
	m := AuditLogMessage{
		ID:              newUUID(),
		UserHomeOrgID:   c.org.ID,
		ServiceName:     "OrgAuthorization",
		Level:           "USER",
		EventDate:       formatTime(c.now),
		Action:          action,
		Entity:          &entity,
		EntityType:      entityType,
		Status:          "SUCCESS",
		Context:         ctx,
		PropertyChanges: nonNil(changes),
	}
	m.Client = &AuditClient{ID: c.clientID}
	c.st.Audit = append(c.st.Audit, m)
}

// auditFilter selects audit entries for one query.
type auditFilter struct {
	trustorIDs map[string]bool
	trusteeIDs map[string]bool
	userIDs    map[string]bool // empty = every user
	start, end *time.Time
	phrase     string
}

func (f *auditFilter) match(m *AuditLogMessage) bool {
	if !f.trustorIDs[m.Context[ctxTrustorOrgID]] || !f.trusteeIDs[m.Context[ctxTrusteeOrgID]] {
		return false
	}
	if len(f.userIDs) > 0 && !f.userIDs[m.Context[ctxUserID]] {
		return false
	}
	if f.start != nil || f.end != nil {
		at, err := time.Parse(time.RFC3339Nano, m.EventDate)
		if err != nil {
			return false
		}
		if f.start != nil && at.Before(*f.start) {
			return false
		}
		if f.end != nil && !at.Before(*f.end) {
			return false
		}
	}
	if f.phrase != "" && (m.Entity == nil || !strings.Contains(strings.ToLower(m.Entity.Name), f.phrase)) {
		return false
	}
	return true
}

func set(ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// handleTrusteeAudits answers POST /trustees/audits: the caller is the
// trustor.
func handleTrusteeAudits(c *call) (int, any, error) {
	var q auditQuery
	if err := decodeJSON(c.body, &q); err != nil {
		return 0, nil, err
	}
	if q.TrusteeOrganizationIDs == nil {
		return 0, nil, missingField("trusteeOrganizationIds")
	}
	f := &auditFilter{trustorIDs: set([]string{c.org.ID}), trusteeIDs: set(*q.TrusteeOrganizationIDs)}
	return c.queryAudits(&q, f)
}

// handleTrustorAudits answers POST /trustor/audits: the caller is the
// trustee.
func handleTrustorAudits(c *call) (int, any, error) {
	var q auditQuery
	if err := decodeJSON(c.body, &q); err != nil {
		return 0, nil, err
	}
	if q.TrustorOrganizationID == nil || *q.TrustorOrganizationID == "" {
		return 0, nil, missingField("trustorOrganizationId")
	}
	f := &auditFilter{trustorIDs: set([]string{*q.TrustorOrganizationID}), trusteeIDs: set([]string{c.org.ID})}
	return c.queryAudits(&q, f)
}

// queryAudits applies the shared part of both audit queries: users, dates,
// phrase, sort and paging. It never answers 404.
func (c *call) queryAudits(q *auditQuery, f *auditFilter) (int, any, error) {
	if q.TrusteeUserIDs == nil {
		return 0, nil, missingField("trusteeUserIds")
	}
	f.userIDs = set(*q.TrusteeUserIDs)
	var err error
	if f.start, err = parseDate("startDate", q.StartDate); err != nil {
		return 0, nil, err
	}
	if f.end, err = parseDate("endDate", q.EndDate); err != nil {
		return 0, nil, err
	}
	if f.start != nil && f.end != nil && !f.start.Before(*f.end) {
		return 0, nil, invalidField("endDate", "endDate must be after startDate")
	}
	if q.QueryPhrase != nil {
		f.phrase = strings.ToLower(strings.TrimSpace(*q.QueryPhrase))
	}
	query := c.r.URL.Query()
	p, err := parsePage(query)
	if err != nil {
		return 0, nil, err
	}
	if sb := query.Get("sortBy"); sb != "" && !strings.EqualFold(sb, "timestamp") {
		return 0, nil, invalidField("sortBy", "sortBy %q is not supported; use timestamp", sb)
	}
	descending := true
	switch so := strings.ToLower(query.Get("sortOrder")); so {
	case "", "descending", "desc":
	case "ascending", "asc":
		descending = false
	default:
		return 0, nil, invalidField("sortOrder", "sortOrder must be ascending or descending, got %q", query.Get("sortOrder"))
	}
	var hits []AuditLogMessage
	for i := range c.st.Audit {
		if f.match(&c.st.Audit[i]) {
			hits = append(hits, cloneAudit(c.st.Audit[i]))
		}
	}
	// The log is in commit order, which is timestamp order.
	if descending {
		slices.Reverse(hits)
	}
	ents, pageCount := window(hits, p)
	return http.StatusOK, auditPage{PageNumber: p.number, PageSize: p.size, Total: len(hits), PageCount: pageCount, Entities: nonNil(ents)}, nil
}
