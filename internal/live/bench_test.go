package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// BenchmarkReadConcurrency reads a trust of 203 users from a sandbox with
// 5 ms latency at the client's concurrency 8 and 32. The flag is the one
// bound: the 203 role reads take 26 rounds of latency at 8 and 7 at 32,
// after the 4 rounds of the org, the listings and the users (go test
// -bench ReadConcurrency ./internal/live).
func BenchmarkReadConcurrency(b *testing.B) {
	for _, conc := range []int{8, 32} {
		b.Run(fmt.Sprint(conc), func(b *testing.B) {
			sb, url := serveSandbox(b, manyUsersFixture(200), sandbox.Options{Latency: 5 * time.Millisecond})
			home := sb.Orgs()[0]
			c, err := client.New(client.Config{APIURL: url, ClientID: home.Clients[0].ID, ClientSecret: home.Clients[0].Secret, Concurrency: conc})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := live.Read(context.Background(), c, live.Scope{Trustees: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
