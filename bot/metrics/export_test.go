package metrics

import "time"

// StepsTracked is how many reset runs the step timer holds.
func StepsTracked(m *M) int { return m.steps.len() }

// SetClock replaces the wall clock the step timer forgets runs by.
func SetClock(m *M, now func() time.Time) {
	m.steps.mu.Lock()
	defer m.steps.mu.Unlock()
	m.steps.now = now
}
