package httpcache

import (
	"context"
	"io"
)

// revalidateInBackground refreshes stale for lk's request in a goroutine
// (stale-while-revalidate, RFC 5861 3), unless a refresh of the same key
// is running or t is closed. It has a store budget of its own.
func (t *Transport) revalidateInBackground(lk *lookup, stale *Response) {
	key := lk.flightKey()
	t.bgMu.Lock()
	if t.closed.Load() || t.bgKeys[key] {
		t.bgMu.Unlock()
		return
	}
	t.bgKeys[key] = true
	t.bgWG.Add(1)
	t.bgMu.Unlock()

	ctx, cancel := context.WithCancel(context.WithoutCancel(lk.req.Context()))
	blk := *lk
	blk.req = withoutRange(lk.req).Clone(ctx)
	blk.req.Response = nil
	blk.hasRange = false
	blk.wait = t.newBudget()
	go func() {
		defer t.bgWG.Done()
		defer func() {
			t.bgMu.Lock()
			delete(t.bgKeys, key)
			t.bgMu.Unlock()
		}()
		stop := context.AfterFunc(t.bgCtx, cancel)
		defer stop()
		defer cancel()
		t.revalidate(&blk, stale)
	}()
}

// revalidate fetches lk's request from the origin to refresh stale.
func (t *Transport) revalidate(lk *lookup, stale *Response) {
	// A revalidation that ended between the request's lookup and now has
	// done the work already.
	ctx := lk.req.Context()
	if e := t.resp.load(ctx, lk.wait, lk.primary, lk.req.Header); e != nil && e.ResponseTime.After(stale.ResponseTime) && e.fresh(t.o.now()) {
		t.m.revalidation(ctx, revUnneeded)
		return
	}
	resp, _, err := t.fetchOrigin(lk, stale, nil)
	t.m.revalidation(ctx, revalidationResult(resp, err, ctx.Err()))
	if err != nil {
		if t.o.logger != nil {
			t.o.logger.Debug("httpcache: background revalidation failed", "url", lk.normURL, "err", err)
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if t.o.logger != nil {
		t.o.logger.Debug("httpcache: revalidated in the background", "url", lk.normURL, "status", resp.StatusCode)
	}
}
