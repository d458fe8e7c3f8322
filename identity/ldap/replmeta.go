package ldap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// AD replicates every attribute with a version that goes up by one on each
// originating write, kept in replPropertyMetaData on the object itself. The
// version of unicodePwd is therefore a counter of password writes that the
// bot may read (Samba does not implement msDS-ReplAttributeMetaData, the
// XML view Windows offers, so this package reads the binary form).
//
// Attribute IDs (ATTRTYP) in the value are the prefix-table form of the
// OIDs: 1.2.840.113556.1.4.N is 0x00090000 + N on every DC.
const (
	attUnicodePwd  uint32 = 0x0009005a // 1.2.840.113556.1.4.90
	attPwdLastSet  uint32 = 0x00090060 // 1.2.840.113556.1.4.96
	attLockoutTime uint32 = 0x00090296 // 1.2.840.113556.1.4.662
)

// The value is a little-endian blob: a 16-byte header (version 1, reserved,
// entry count, reserved) followed by 48-byte entries: attid, version,
// originating time (seconds since 1601), originating DSA GUID,
// originating USN, local USN (MS-DRSR PROPERTY_META_DATA_EXT).
const (
	replMetaHeaderLen = 16
	replMetaEntryLen  = 48
	secondsTo1970     = 11644473600 // from 1601-01-01 to the Unix epoch
)

// replMeta is one attribute's replication metadata.
type replMeta struct {
	attID   uint32
	version uint32
	changed time.Time // originating write, whole seconds; zero when out of range
	origUSN uint64
}

var errReplMeta = errors.New("malformed replPropertyMetaData")

// parseReplMeta decodes a replPropertyMetaData value. It never reads past
// b and never allocates more than b can hold, whatever the header claims,
// so a truncated or hostile value is an error, not a panic.
func parseReplMeta(b []byte) ([]replMeta, error) {
	if len(b) < replMetaHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes", errReplMeta, len(b))
	}
	if v := binary.LittleEndian.Uint32(b); v != 1 {
		return nil, fmt.Errorf("%w: version %d", errReplMeta, v)
	}
	n := uint64(binary.LittleEndian.Uint32(b[8:]))
	if n > uint64(len(b)-replMetaHeaderLen)/replMetaEntryLen {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", errReplMeta, n, len(b))
	}
	out := make([]replMeta, 0, n)
	for i := range int(n) {
		e := b[replMetaHeaderLen+i*replMetaEntryLen:][:replMetaEntryLen]
		m := replMeta{
			attID:   binary.LittleEndian.Uint32(e[0:]),
			version: binary.LittleEndian.Uint32(e[4:]),
			origUSN: binary.LittleEndian.Uint64(e[32:]),
		}
		// Any real time is far below this bound; beyond it the conversion
		// to Unix seconds would overflow.
		if secs := binary.LittleEndian.Uint64(e[8:]); secs >= secondsTo1970 && secs < 1<<40 {
			m.changed = time.Unix(int64(secs)-secondsTo1970, 0).UTC()
		}
		out = append(out, m)
	}
	return out, nil
}

// passwordStamp is Account.PasswordStamp for AD: the unicodePwd version and
// its originating time. Both are replicated, so every DC of the domain
// reports the same stamp once it has the write. "v0" means the metadata is
// readable and the password was never written; "" that the metadata cannot
// be read.
func passwordStamp(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	metas, err := parseReplMeta(raw)
	if err != nil {
		return ""
	}
	for _, m := range metas {
		if m.attID == attUnicodePwd {
			return "v" + strconv.FormatUint(uint64(m.version), 10) + "@" + m.changed.Format(time.RFC3339)
		}
	}
	return "v0"
}
