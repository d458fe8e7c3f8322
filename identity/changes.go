package identity

// Delta is what a directory reports changed since a cursor (see
// typeahead.Changer). It lives here, in the root, so a directory
// implementation and the type-ahead snapshot can share it without
// importing each other.
//
// Why deltas: at MSP scale (hundreds of orgs, thousands of accounts each,
// several replicas) re-reading every directory in full every minute is
// most of the domain controllers' load for the bot; a delta read costs in
// proportion to what changed.
type Delta struct {
	// Changed holds accounts added or changed since the cursor, with the
	// facts Search reports (names, lock state, disabled).
	Changed []Account
	// Full means Changed is the whole directory, not a difference: the
	// cursor was empty, unknown, or from another domain controller or an
	// older state of it (a restore), so a delta was not trustworthy.
	// Accounts not in Changed are gone.
	Full bool
	// Cursor is where the next call starts. It is opaque, read before the
	// search ran, so nothing written during the search is missed (it is
	// read again next time: applying a change twice is harmless).
	Cursor string
}
