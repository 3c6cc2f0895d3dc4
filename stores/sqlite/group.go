package sqlite

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Group commit of Set (see "Group commit" in the package doc): the Sets
// that arrive while a commit runs queue up, and the first of them, once
// that commit is done, writes them all in one transaction. No goroutine is
// started and no Set ever waits for a timer: a lone Set finds nobody
// committing and writes at once, as one statement.

// setReq is one Set taking part in a group commit.
type setReq struct {
	args  [3]any // key, value, expires, as the set statement binds them
	state reqState
	err   error      // the outcome, written by the leader of its group
	done  chan error // buffered; receives the outcome, or errLead
}

// reqState is where a setReq is; committer.mu guards it.
type reqState uint8

const (
	reqQueued  reqState = iota // in the queue, may still withdraw
	reqTaken                   // in a group being committed
	reqLeading                 // chosen to commit the queue
)

// errLead, sent on a queued request's done, tells it to lead the next
// group. It is never returned to a caller.
var errLead = errors.New("sqlite: lead the next group")

// setArgs returns the arguments of the set statement for an entry.
func setArgs(key string, value []byte, expires any) [3]any {
	return [3]any{keyArg(key), valueArg(value), expires}
}

func newSetReq(key string, value []byte, expires any) *setReq {
	return &setReq{args: setArgs(key, value, expires), done: make(chan error, 1)}
}

// committer is the queue of a store's Sets and who commits it. It only
// decides (no I/O): the leader does the writing. The zero committer is
// idle.
type committer struct {
	mu    sync.Mutex
	queue []*setReq
	busy  bool // a leader is committing; new requests queue
	// contended: the last turn committed or left behind more than one
	// Set, so more are likely on their way.
	contended bool

	// What the groups did, for the tests: transactions committed with
	// more than one Set, the Sets in them, and groups written one by one
	// after a statement failed.
	groups, grouped, split atomic.Int64
}

// tryLead makes the caller the leader when nobody is committing, and
// reports whether it did, and whether the last turn was contended (see
// commitSet).
func (c *committer) tryLead() (lead, contended bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy {
		return false, false
	}
	c.busy = true
	return true, c.contended
}

// join enters r. It reports true when nobody is committing: r leads a
// group of itself at once. Otherwise r is queued and waits on r.done.
func (c *committer) join(r *setReq) (lead bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.busy {
		c.busy = true
		r.state = reqTaken
		return true
	}
	r.state = reqQueued
	c.queue = append(c.queue, r)
	return false
}

// take returns the queued requests, for the leader chosen by handOff to
// commit, and empties the queue.
func (c *committer) take() []*setReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	batch := c.queue
	c.queue = nil
	for _, r := range batch {
		r.state = reqTaken
	}
	return batch
}

// handOff ends the turn of a leader that committed n Sets: it returns
// the request that leads next (the oldest queued one), or nil when the
// queue is empty and the committer is idle again.
func (c *committer) handOff(n int) *setReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		c.busy = false
		c.contended = n > 1
		return nil
	}
	c.contended = true
	next := c.queue[0]
	next.state = reqLeading
	return next
}

// withdraw takes r out of the queue if it is still waiting there. It
// returns the state r was in: reqQueued when it was withdrawn; a request
// already in a group (reqTaken) or chosen to lead (reqLeading) stays.
func (c *committer) withdraw(r *setReq) reqState {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := r.state
	if was == reqQueued {
		if i := slices.Index(c.queue, r); i >= 0 {
			c.queue = slices.Delete(c.queue, i, i+1)
		}
	}
	return was
}

// commitSet writes the entry (args as the set statement binds them)
// through the group commit and returns its outcome. A caller whose ctx
// ends while it waits in the queue leaves with ctx.Err() and the entry is
// not written; one whose ctx ends while its group commits leaves with
// ctx.Err() too, and the entry may be committed or not, as with any write
// cancelled under way.
func (s *Store) commitSet(ctx context.Context, args [3]any) error {
	lead, contended := s.group.tryLead()
	if lead && !contended {
		// Alone: the one statement Set always was, with nothing to
		// allocate for the queue.
		_, err := s.setStmt.ExecContext(ctx, args[:]...)
		s.passTurn(1)
		return err
	}
	r := &setReq{args: args, done: make(chan error, 1)}
	if lead {
		// The last turn was a group: the Sets it released are on their
		// way back. Let them run and queue first, so that they join
		// this commit instead of each waiting for one of their own.
		r.state = reqTaken
		runtime.Gosched()
		return s.lead(ctx, append([]*setReq{r}, s.group.take()...), r)
	}
	if s.group.join(r) {
		return s.lead(ctx, []*setReq{r}, r)
	}
	select {
	case err := <-r.done:
		if err == errLead {
			return s.leadQueue(ctx, r)
		}
		return err
	case <-ctx.Done():
	}
	if s.group.withdraw(r) != reqLeading {
		return ctx.Err()
	}
	// Chosen to lead: the queue is waiting for r, so r commits it,
	// whatever its own context says.
	<-r.done
	return s.leadQueue(ctx, r)
}

// leadQueue is lead for a request handed the turn: it first lets the
// goroutines the last group just released run, so that the Sets they go
// on to make join this group rather than wait for the next one, then
// takes the queue.
func (s *Store) leadQueue(ctx context.Context, self *setReq) error {
	runtime.Gosched()
	return s.lead(ctx, s.group.take(), self)
}

// lead commits batch (which holds self), hands the turn to the next
// leader, and gives every member its outcome.
func (s *Store) lead(ctx context.Context, batch []*setReq, self *setReq) error {
	s.commitBatch(ctx, batch)
	s.passTurn(len(batch))
	for _, r := range batch {
		if r != self {
			r.done <- r.err
		}
	}
	return self.err
}

// passTurn ends the turn of a leader that committed n Sets and wakes the
// next leader.
func (s *Store) passTurn(n int) {
	if next := s.group.handOff(n); next != nil {
		next.done <- errLead
	}
}

// commitBatch writes batch and sets each member's err. A batch of one is
// the one statement Set always was, under the caller's context. A larger
// one is one transaction, under no member's cancellation (it is every
// member's write): a failed BEGIN or COMMIT is every member's error; a
// statement that fails rolls the transaction back, and the members are
// then written one statement each, so that each gets its own outcome.
func (s *Store) commitBatch(ctx context.Context, batch []*setReq) {
	if len(batch) == 1 {
		_, batch[0].err = s.setStmt.ExecContext(ctx, batch[0].args[:]...)
		return
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := s.db.writer.BeginTx(ctx, nil)
	if err != nil {
		setErr(batch, err)
		return
	}
	st := tx.StmtContext(ctx, s.setStmt)
	for _, r := range batch {
		if _, err := st.ExecContext(ctx, r.args[:]...); err != nil {
			tx.Rollback()
			s.group.split.Add(1)
			for _, r := range batch {
				_, r.err = s.setStmt.ExecContext(ctx, r.args[:]...)
			}
			return
		}
	}
	err = tx.Commit()
	setErr(batch, err)
	if err == nil {
		s.group.groups.Add(1)
		s.group.grouped.Add(int64(len(batch)))
	}
}

func setErr(batch []*setReq, err error) {
	for _, r := range batch {
		r.err = err
	}
}
