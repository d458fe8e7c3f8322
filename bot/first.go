package bot

import "runtime"

// startFirst runs fn, a directory call the caller will wait for, on a
// goroutine of its own, and yields once so fn's request goes out before
// the caller does its own work meanwhile (a save's sealing, recording).
// Without the yield the new goroutine waits behind its caller until the
// caller blocks, or until an idle core wakes up and takes it: 0.08-0.1 ms
// on a 2-vCPU VM (identity/ldap's ratio test, traced), all of it added to
// a call that is the longest thing on the path. The returned func waits
// for fn's answer.
func startFirst[T any](fn func() (T, error)) func() (T, error) {
	var v T
	var err error
	done := make(chan struct{})
	go func() { defer close(done); v, err = fn() }()
	runtime.Gosched()
	return func() (T, error) { <-done; return v, err }
}
