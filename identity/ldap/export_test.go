package ldap

import goldap "github.com/go-ldap/ldap/v3"

// The raw floor in bench_test.go must read exactly what the Directory
// reads, or the comparison flatters one side.
var (
	ADLookupAttrs   = adLookupAttrs // Lookup's subtree search
	ADGuardAttrs    = adGuardAttrs  // the guard's base search (with SD flags = DACL)
	ADReadBackAttrs = adAttrs       // Verify's read-back
)

// IdleProof is the proof connection userBind would use next (nil: none).
func IdleProof(d *Directory) *goldap.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.proofs) == 0 {
		return nil
	}
	return d.proofs[len(d.proofs)-1].c
}
