package compare

// Run claims: which process trains a run, when several processes on
// several machines share one output folder (a cluster's NFS or Lustre).
// flock (internal/lock) is not enough there: it is advisory, per kernel,
// and on many network file systems either local to one client or absent.
// A claim is a file made by an exclusive create, which every network file
// system does atomically, and kept fresh by a heartbeat, so that a claim
// whose owner died can be recognised and taken over.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ClaimFile is the claim in a run folder while a process trains the run.
const ClaimFile = "claim.json"

// DefaultStaleAfter is how old a claim's heartbeat may be before another
// process may take the run over.
const DefaultStaleAfter = 10 * time.Minute

// A Claim says which process trains a run.
type Claim struct {
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// PIDNamespace tells two processes with one host name apart when
	// they run in different containers: a pid is only checked on the
	// same host and in the same namespace.
	PIDNamespace string `json:"pid_namespace,omitempty"`
	// BootID tells machines apart whose host names agree (it changes at
	// every boot; containers share their host's).
	BootID    string    `json:"boot_id,omitempty"`
	Task      int       `json:"task"` // -1: a plain (local) compare
	Started   time.Time `json:"started"`
	Heartbeat time.Time `json:"heartbeat"`
	Token     string    `json:"token"` // random, tells one claim from the next
}

// String names the owner: "task 3 on node7 (pid 812, heartbeat 4s ago)".
func (c Claim) String() string {
	who := "a local compare"
	if c.Task >= 0 {
		who = fmt.Sprintf("task %d", c.Task)
	}
	return fmt.Sprintf("%s on %s (pid %d, heartbeat %s ago)", who, c.Host, c.PID, time.Since(c.Heartbeat).Round(time.Second))
}

// stale reports whether the owner of c may be presumed dead: its heartbeat
// is older than staleAfter, or it ran on this machine (host name and boot),
// in this pid namespace, and its process is gone.
func (c Claim) stale(now time.Time, staleAfter time.Duration, self Claim) bool {
	if now.Sub(c.Heartbeat) > staleAfter {
		return true
	}
	if c.Host == self.Host && c.PIDNamespace != "" && c.PIDNamespace == self.PIDNamespace &&
		c.BootID != "" && c.BootID == self.BootID && c.PID > 0 {
		return processGone(c.PID)
	}
	return false
}

// heartbeatEvery is how often an owner refreshes its claim: often enough
// that a live claim never looks stale.
func heartbeatEvery(staleAfter time.Duration) time.Duration {
	return min(max(staleAfter/10, 50*time.Millisecond), time.Minute)
}

// ErrClaimed is returned (wrapped) when a live process trains the run.
var ErrClaimed = errors.New("run is being trained by another process")

// ErrClaimLost is the cause of the cancellation when a process finds that
// its claim was taken over (its heartbeat had stopped for longer than the
// stale limit: the machine was suspended, say) and must stop writing.
var ErrClaimLost = errors.New("claim on the run was taken over by another process")

// newClaim describes this process as a claim of task (-1: a local compare).
func newClaim(task int) (Claim, error) {
	host, err := os.Hostname()
	if err != nil {
		return Claim{}, fmt.Errorf("claim: host name: %w", err)
	}
	tok := make([]byte, 8)
	if _, err := rand.Read(tok); err != nil {
		return Claim{}, fmt.Errorf("claim: %w", err)
	}
	// Both absent off Linux: only the heartbeat's age can tell there.
	ns, _ := os.Readlink("/proc/self/ns/pid") // "pid:[4026531836]"
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	now := time.Now().UTC()
	return Claim{Host: host, PID: os.Getpid(), PIDNamespace: ns, BootID: strings.TrimSpace(string(boot)),
		Task: task, Started: now, Heartbeat: now,
		Token: hex.EncodeToString(tok)}, nil
}

// readClaim reads the claim at path. A heartbeat rewrites the file in
// place, so a read may rarely catch half of one: it is read again.
func readClaim(path string) (Claim, error) {
	var err error
	for range 5 {
		var b []byte
		b, err = os.ReadFile(path)
		if err != nil {
			return Claim{}, err
		}
		var c Claim
		if err = json.Unmarshal(b, &c); err == nil {
			return c, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Claim{}, fmt.Errorf("%s: %w", path, err)
}

// claimSize is the size of every claim file: a heartbeat overwrites the
// whole of it.
const claimSize = 512

// encodeClaim returns c as JSON padded with spaces to claimSize bytes.
func encodeClaim(c Claim) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	if len(b) > claimSize {
		return nil, fmt.Errorf("claim of %d bytes (host name too long?)", len(b))
	}
	return append(b, bytes.Repeat([]byte{' '}, claimSize-len(b))...), nil
}

// publish makes path hold c if and only if path does not exist, and
// returns the file open for heartbeats. The claim is written to a
// temporary file and hard-linked to path, so nobody ever reads half a
// claim, and the link fails if another claim is there.
func publish(path string, c Claim) (*os.File, error) {
	b, err := encodeClaim(c)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// A heldClaim is a claim this process owns; its heartbeat runs until
// release.
type heldClaim struct {
	path  string
	claim Claim
	// f is the claim file as published. Heartbeats write through it, never
	// through path: a process that lost its claim then only writes into the
	// file it once published (renamed claim.stale.json by the taker), not
	// into the new owner's.
	f *os.File
	// Previous is the stale claim this one took over, if any.
	previous *Claim
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	lost     func()
}

// setLost sets what the heartbeat calls if it finds the claim lost.
func (h *heldClaim) setLost(f func()) {
	h.mu.Lock()
	h.lost = f
	h.mu.Unlock()
}

// claimRun claims the run folder dir for this process. If a live process
// holds it, the error wraps ErrClaimed and names the owner (the returned
// Claim). A stale claim is taken over: it is kept as claim.stale.json for
// the record. While the claim is held, a heartbeat refreshes it every
// heartbeatEvery(staleAfter); if the heartbeat finds the claim taken over,
// lost is called once.
func claimRun(dir string, task int, staleAfter time.Duration, lost func()) (*heldClaim, Claim, error) {
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	self, err := newClaim(task)
	if err != nil {
		return nil, Claim{}, err
	}
	path := filepath.Join(dir, ClaimFile)
	h := &heldClaim{path: path, claim: self, stop: make(chan struct{}), done: make(chan struct{}), lost: lost}
	for attempt := 0; ; attempt++ {
		f, err := publish(path, self)
		if err == nil {
			h.f = f
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, Claim{}, fmt.Errorf("claim %s: %w", path, err)
		}
		other, rerr := readClaim(path)
		switch {
		case errors.Is(rerr, os.ErrNotExist) && attempt < 5:
			continue // released between our link and our read
		case rerr != nil:
			return nil, Claim{}, fmt.Errorf("claim %s: %w", path, rerr)
		}
		if !other.stale(time.Now(), staleAfter, self) {
			return nil, other, fmt.Errorf("%s: %w: %s", dir, ErrClaimed, other)
		}
		prev, f, err := takeOver(path, other, self, staleAfter)
		if err != nil {
			if errors.Is(err, ErrClaimed) {
				c, _ := readClaim(path)
				return nil, c, fmt.Errorf("%s: %w", dir, err)
			}
			return nil, Claim{}, fmt.Errorf("claim %s: %w", path, err)
		}
		h.previous, h.f = prev, f
		break
	}
	go h.beat(heartbeatEvery(staleAfter))
	return h, Claim{}, nil
}

// takeOver replaces the stale claim other by self. Two processes may find
// the same claim stale at once: a second exclusive create (claim.json.takeover)
// lets only one of them replace it.
func takeOver(path string, other, self Claim, staleAfter time.Duration) (*Claim, *os.File, error) {
	guard := path + ".takeover"
	g, err := publish(guard, self)
	if err != nil {
		if !errors.Is(err, os.ErrExist) {
			return nil, nil, err
		}
		// A taker that died between its two steps leaves the guard behind;
		// it is as stale as a claim after the same time.
		if st, serr := os.Stat(guard); serr == nil && time.Since(st.ModTime()) > staleAfter {
			os.Remove(guard)
		}
		return nil, nil, fmt.Errorf("%w: another process is taking over the stale claim", ErrClaimed)
	}
	g.Close()
	defer os.Remove(guard)
	now, err := readClaim(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	if err == nil && (now.Token != other.Token || !now.Heartbeat.Equal(other.Heartbeat)) {
		return nil, nil, fmt.Errorf("%w: %s", ErrClaimed, now) // refreshed or replaced meanwhile
	}
	if err == nil {
		if err := os.Rename(path, filepath.Join(filepath.Dir(path), "claim.stale.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	f, err := publish(path, self)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("%w: claimed meanwhile", ErrClaimed)
		}
		return nil, nil, err
	}
	return &other, f, nil
}

// beat refreshes the claim until release; a claim found replaced is lost.
func (h *heldClaim) beat(every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.claim.Heartbeat = time.Now().UTC()
		if b, err := encodeClaim(h.claim); err == nil {
			h.f.WriteAt(b, 0) // a failed refresh is retried at the next beat
		}
		cur, err := readClaim(h.path)
		if err == nil && cur.Token != h.claim.Token || errors.Is(err, os.ErrNotExist) {
			h.mu.Lock()
			lost := h.lost
			h.mu.Unlock()
			if lost != nil {
				lost()
			}
			return
		}
	}
}

// release stops the heartbeat and removes the claim if it is still ours.
func (h *heldClaim) release() error {
	if h == nil {
		return nil
	}
	close(h.stop)
	<-h.done
	defer h.f.Close()
	cur, err := readClaim(h.path)
	if err != nil || cur.Token != h.claim.Token {
		return nil // taken over: not ours to remove
	}
	if err := os.Remove(h.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release claim: %w", err)
	}
	return nil
}

// claimContext returns a context cancelled with ErrClaimLost when lost is
// called.
func claimContext(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	return ctx, func() { cancel(ErrClaimLost) }
}
