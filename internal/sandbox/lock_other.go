//go:build !unix

package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stateLock is, where flock is not available, an exclusively created lock
// file beside the state file: a run that crashed leaves it behind, and the
// error says to remove it.
type stateLock struct{ path string }

const lockPoll = 20 * time.Millisecond

func acquireStateLock(statePath string, wait time.Duration) (*stateLock, error) {
	path := statePath + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock sandbox state: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return &stateLock{path: path}, nil
		}
		if !os.IsExist(err) {
			return nil, fmt.Errorf("lock sandbox state: %w", err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, inUseError(fmt.Sprintf("the sandbox state %s is in use by another trustsync run (waited %v; if no run is going on, remove %s)", statePath, wait, path))
		}
		time.Sleep(min(lockPoll, left))
	}
}

func (l *stateLock) release() error {
	if err := os.Remove(l.path); err != nil {
		return fmt.Errorf("unlock sandbox state: %w", err)
	}
	return nil
}
