package client

import (
	"context"
	"sync"
)

// CorrelationRecorder collects the correlation ids (the inin-correlation-id
// header) of the API answers to requests made with a context it was
// attached to by [WithCorrelationRecorder]: every answer, 2xx or not, each
// attempt of a retried request on its own, in the order the answers
// arrived. For a non-2xx answer without the header it takes the id the
// error body names, as [APIError.CorrelationID] does; answers carrying
// neither, failed attempts that got no answer, and access-token requests
// add nothing.
//
// The zero value is ready to use. A recorder is safe for concurrent use,
// so concurrent requests may share one; their ids are then in the order
// the answers were read.
type CorrelationRecorder struct {
	mu  sync.Mutex
	ids []string
}

// IDs returns a copy of the ids recorded so far, oldest first, or nil when
// there are none.
func (r *CorrelationRecorder) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return nil
	}
	return append([]string(nil), r.ids...)
}

func (r *CorrelationRecorder) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
}

// recorderKey is the context key of the recorders in effect.
type recorderKey struct{}

// recorders is a context's chain of recorders, innermost first.
type recorders struct {
	r      *CorrelationRecorder
	parent *recorders
}

// WithCorrelationRecorder returns a copy of ctx whose API requests record
// the correlation ids of their answers in r. Recorders attached further up
// the context keep recording too, so a run-wide recorder and a per-change
// one can be used together. A nil r, or one ctx already records into,
// returns ctx unchanged, so no answer is recorded twice in one recorder.
func WithCorrelationRecorder(ctx context.Context, r *CorrelationRecorder) context.Context {
	if r == nil {
		return ctx
	}
	parent, _ := ctx.Value(recorderKey{}).(*recorders)
	for rs := parent; rs != nil; rs = rs.parent {
		if rs.r == r {
			return ctx
		}
	}
	return context.WithValue(ctx, recorderKey{}, &recorders{r: r, parent: parent})
}

// recordCorrelation adds id to every recorder attached to ctx; an empty id
// is not recorded.
func recordCorrelation(ctx context.Context, id string) {
	if id == "" {
		return
	}
	rs, _ := ctx.Value(recorderKey{}).(*recorders)
	for ; rs != nil; rs = rs.parent {
		rs.r.add(id)
	}
}
