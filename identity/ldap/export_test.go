package ldap

// The raw floor in bench_test.go must read exactly what the Directory
// reads, or the comparison flatters one side.
var (
	ADLookupAttrs   = adLookupAttrs // Lookup's subtree search
	ADGuardAttrs    = adGuardAttrs  // the guard's base search (with SD flags = DACL)
	ADReadBackAttrs = adAttrs       // Verify's read-back
)
