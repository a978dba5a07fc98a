package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trustsync/trustsync/internal/permission"
)

// commandName is the command kong chose ("plan", "pairing create"), without
// its arguments, as 403 messages name it.
func commandName(path string) string {
	var words []string
	for _, w := range strings.Fields(path) {
		if strings.HasPrefix(w, "<") {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// withPermissionHint adds to an error holding a 403 a hint line that names
// the permission the command needs and what for. An error that already
// carries a hint (the audit command's, for one) is left as it is.
func withPermissionHint(command string, err error) error {
	if err == nil || strings.Contains(err.Error(), "\nhint: ") {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return err
		}
		return &exitError{code: ee.code, err: withPermissionHint(command, ee.err)}
	}
	h := permission.Hint(command, err)
	if h == "" {
		return err
	}
	return fmt.Errorf("%w\n%s", err, h)
}
