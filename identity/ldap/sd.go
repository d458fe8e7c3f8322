package ldap

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Just enough of a self-relative security descriptor (MS-DTYP 2.4.6) to
// answer one question for `unlockbot check`: does the DACL grant a control
// access right (here Reset Password) to one of the bot's SIDs? The server
// remains the authority; this only tells an operator what to fix.

const (
	aceAllowed       = 0x00
	aceDenied        = 0x01
	aceAllowedObject = 0x05
	aceDeniedObject  = 0x06

	aceInheritOnly = 0x08

	rightControlAccess = 0x00000100 // ADS_RIGHT_DS_CONTROL_ACCESS
	rightGenericAll    = 0x10000000

	objectTypePresent = 0x1
	inheritedPresent  = 0x2
)

// resetPasswordRight is the User-Force-Change-Password extended right.
const resetPasswordRight = "00299570-246d-11d0-a768-00aa006e0529"

type ace struct {
	typ        byte
	flags      byte
	mask       uint32
	objectType string // GUID, "" when absent
	sid        string
}

// parseDACL returns the ACEs of the DACL of a self-relative descriptor.
func parseDACL(sd []byte) ([]ace, error) {
	if len(sd) < 20 || sd[0] != 1 {
		return nil, errors.New("not a self-relative security descriptor")
	}
	off := int(binary.LittleEndian.Uint32(sd[16:20]))
	if off == 0 {
		return nil, errors.New("no DACL (the SD flags control may have been ignored)")
	}
	if off+8 > len(sd) {
		return nil, errors.New("DACL offset out of range")
	}
	count := int(binary.LittleEndian.Uint16(sd[off+4:]))
	pos := off + 8
	aces := make([]ace, 0, count)
	for range count {
		if pos+4 > len(sd) {
			return nil, errors.New("ACE out of range")
		}
		size := int(binary.LittleEndian.Uint16(sd[pos+2:]))
		if size < 8 || pos+size > len(sd) {
			return nil, errors.New("bad ACE size")
		}
		a, err := parseACE(sd[pos : pos+size])
		if err != nil {
			return nil, err
		}
		aces = append(aces, a)
		pos += size
	}
	return aces, nil
}

func parseACE(b []byte) (ace, error) {
	a := ace{typ: b[0], flags: b[1], mask: binary.LittleEndian.Uint32(b[4:8])}
	body := b[8:]
	switch a.typ {
	case aceAllowed, aceDenied:
	case aceAllowedObject, aceDeniedObject:
		if len(body) < 4 {
			return a, errors.New("short object ACE")
		}
		flags := binary.LittleEndian.Uint32(body)
		body = body[4:]
		if flags&objectTypePresent != 0 {
			if len(body) < 16 {
				return a, errors.New("short object type")
			}
			a.objectType = guidString(body[:16])
			body = body[16:]
		}
		if flags&inheritedPresent != 0 {
			if len(body) < 16 {
				return a, errors.New("short inherited object type")
			}
			body = body[16:]
		}
	default:
		return a, nil // audit, callback, ...: not relevant to the question
	}
	sid, _, err := parseSID(body)
	a.sid = sid
	return a, err
}

// guidString formats a binary GUID (first three fields little-endian).
func guidString(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(b[0:4]),
		binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}

// controlAccess evaluates the DACL in order, as Windows does for a single
// right: the first ACE that applies to one of sids and covers right decides.
// It returns "granted", "denied" or "" (no ACE grants it).
func controlAccess(aces []ace, sids map[string]bool, right string) string {
	for _, a := range aces {
		if a.flags&aceInheritOnly != 0 || !sids[a.sid] {
			continue
		}
		covers := a.mask&rightGenericAll != 0 ||
			(a.mask&rightControlAccess != 0 && (a.objectType == "" || a.objectType == right))
		if !covers {
			continue
		}
		switch a.typ {
		case aceAllowed, aceAllowedObject:
			return "granted"
		case aceDenied, aceDeniedObject:
			return "denied"
		}
	}
	return ""
}
