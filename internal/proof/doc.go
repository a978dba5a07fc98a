// Package proof holds trustsync's end-to-end safety proofs: tests that try
// hard to break the guarantees README.md states under "Safety guarantees",
// driving the real client, live reader, planner and apply against the
// in-process sandbox.
//
// The package has no code of its own besides this comment; everything is
// in its tests:
//
//   - TestSoak applies seeded random desired states to seeded random
//     starting states through a sandbox that loses 30 % of its answers
//     (before and after the write committed), adds latency and enforces a
//     rate limit, until apply succeeds. Half the seeds manage groups
//     (trustee groups and their roles, our groups in trustor trusts); the
//     others leave the groups in trusts unmanaged, so no write may touch
//     them. It checks that live state ends equal
//     to the files, that the audit log names no object outside the plans,
//     and that no widening write happened once a narrowing change had failed
//     or while one was still running.
//   - TestCrash abandons applies at seeded points, as a killed process
//     would, and checks that the next apply converges and that replaying
//     the audit log never shows more access than the old or the new state
//     grants (a user's or group's membership or role, an enabled trust, a
//     later expiry). TestCrashKill9 does the same to the built binary with
//     SIGKILL, at a seeded write, and checks the record it left behind.
//   - TestPlanFile flips, drops and inserts bytes of a saved plan and checks
//     that a changed plan is refused, and that the CLI's apply makes no
//     write for it.
//   - TestSecrets runs the CLI's commands with --debug against the sandbox
//     and against a server that echoes credentials, and looks for the
//     client secret and the bearer tokens in everything they leave behind.
//
// TestSoak and TestCrash run a short mode by default; TRUSTSYNC_SOAK=long
// runs many more seeds.
//
// The harness touches the other packages only through one small helper per
// package (see deps_test.go), so that a change of their APIs is adopted in
// one place.
package proof
