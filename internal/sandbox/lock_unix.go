//go:build unix

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// stateLock is an exclusive advisory lock (flock) on the lock file beside
// a state file, held by one process at a time.
type stateLock struct{ f *os.File }

// lockPoll is how often acquireStateLock tries again while it waits.
const lockPoll = 20 * time.Millisecond

// acquireStateLock locks statePath+".lock", waiting up to wait for
// another process to release it.
func acquireStateLock(statePath string, wait time.Duration) (*stateLock, error) {
	path := statePath + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock sandbox state: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock sandbox state: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &stateLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock sandbox state %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, inUseError(fmt.Sprintf("the sandbox state %s is in use by another trustsync run (waited %v for it to finish)", statePath, wait))
		}
		time.Sleep(min(lockPoll, left))
	}
}

// release unlocks and closes the lock file.
func (l *stateLock) release() error {
	// Closing the file releases the flock.
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("unlock sandbox state: %w", err)
	}
	return nil
}
