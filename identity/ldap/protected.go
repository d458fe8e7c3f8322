package ldap

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Protected groups are matched by well-known SID, never by name: names are
// localized and can be renamed, SIDs cannot.
var (
	builtinProtected = map[string]string{
		"S-1-5-32-544": "Administrators",
		"S-1-5-32-548": "Account Operators",
		"S-1-5-32-549": "Server Operators",
		"S-1-5-32-550": "Print Operators",
		"S-1-5-32-551": "Backup Operators",
		"S-1-5-32-552": "Replicator",
		"S-1-5-32-569": "Cryptographic Operators", // may change the DC's cryptographic configuration
		"S-1-5-32-578": "Hyper-V Administrators",  // control the hosts of virtual DCs (Server 2012+)
	}
	// Domain-relative RIDs. Enterprise and Schema Admins live in the forest
	// root domain, so the RID is matched under any domain SID.
	domainProtected = map[uint32]string{
		498: "Enterprise Read-only Domain Controllers", // forest root domain, like 519
		512: "Domain Admins",
		516: "Domain Controllers", // the primary group of every DC account: DCSync rights
		521: "Read-only Domain Controllers",
		518: "Schema Admins",
		519: "Enterprise Admins",
		520: "Group Policy Creator Owners",
		526: "Key Admins", // may write msDS-KeyCredentialLink ("shadow credentials")
		527: "Enterprise Key Admins",
	}
	// Accounts refused by their own RID, whatever their groups or adminCount
	// (which SDProp sets only after it has run).
	protectedAccounts = map[uint32]string{
		500: "the built-in Administrator",
		502: "krbtgt",
	}
)

// ridOf returns the last sub-authority of a domain SID.
func ridOf(sid string) (uint32, bool) {
	if !strings.HasPrefix(sid, "S-1-5-21-") {
		return 0, false
	}
	rid, err := strconv.ParseUint(sid[strings.LastIndexByte(sid, '-')+1:], 10, 32)
	return uint32(rid), err == nil
}

// protectedName returns the well-known name of sid when it is a protected group.
func protectedName(sid string) (string, bool) {
	if n, ok := builtinProtected[sid]; ok {
		return n, true
	}
	rid, ok := ridOf(sid)
	if !ok {
		return "", false
	}
	n, ok := domainProtected[rid]
	return n, ok
}

// parseSID decodes a binary SID (MS-DTYP 2.4.2.2) into S-R-I-S-S... form
// and returns the number of bytes it used.
func parseSID(b []byte) (string, int, error) {
	if len(b) < 8 {
		return "", 0, errors.New("SID too short")
	}
	n := int(b[1])
	size := 8 + 4*n
	if b[0] != 1 || n > 15 || len(b) < size {
		return "", 0, errors.New("malformed SID")
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	var s strings.Builder
	s.WriteString("S-1-" + strconv.FormatUint(auth, 10))
	for i := range n {
		s.WriteString("-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String(), size, nil
}
