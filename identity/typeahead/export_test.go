package typeahead

import "github.com/unlockbot/unlockbot/identity"

// accounts is every account in the snapshot, in order (nil: none loaded).
func (d *Directory) accounts() []identity.Account {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.snap == nil {
		return nil
	}
	out := make([]identity.Account, len(d.snap.entries))
	for i := range d.snap.entries {
		out[i] = d.snap.account(&d.snap.entries[i])
	}
	return out
}
