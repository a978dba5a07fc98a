// Package sandbox emulates the Genesys Cloud organization authorization API
// for any number of organizations in one process.
//
// A [Server] is an [http.Handler] that answers the 23 operations of
// /api/v2/orgauthorization and its trust group operations, plus
// POST /oauth/token (client credentials),
// GET /api/v2/organizations/me, GET /api/v2/authorization/roles,
// GET /api/v2/users, GET /api/v2/users/{userId} and
// GET /api/v2/orgauthorization/trustees/care, with the paths, JSON field
// names, status codes, listings and ErrorBody of the real service. Every
// access token belongs to one org; one store holds every org, so the
// trustor's view (/trustees) and the trustee's view (/trustors) of a trust
// always agree. Every operation checks the permissions the API
// documentation names for it (one table, apiOps) and answers the
// service's 403 missing.permissions when the client lacks them.
//
// # Content
//
// A [Fixture] (YAML, see docs/sandbox.md) names the orgs, their OAuth
// clients (and their permissions), roles, users and groups, and the
// trusts that exist at start; [DemoFixture] is the embedded demo. With
// [Options].StatePath the whole store is kept in a JSON file, locked
// against other processes while the Server runs: each change is made on a
// copy, saved atomically, and only then takes effect (or, when it cannot
// be saved, is not made and answers 500).
//
// # Faults and limits
//
// [Options] adds latency, a per-token rate limit (429 with Retry-After) and
// seeded random 502/503/504 faults, half of which lose the answer of a
// write that was committed. [Server.Inject] scripts failures for tests.
// GET /_sandbox/stats counts what was answered; POST /_sandbox/stats/reset
// zeroes it.
//
// # Audit log
//
// Every committed mutation appends AuditLogMessage entries that the two
// audit queries (POST /trustees/audits and POST /trustor/audits) return;
// [Server.AuditLog] returns them all.
package sandbox
