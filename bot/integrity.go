package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// A request record is stored as a version byte, an HMAC-SHA256 and the
// record's JSON; the HMAC covers the JSON, the key it is stored under and
// the store version it will have. The HMAC key comes from the seal key, so
// whoever can write Redis but does not hold that key cannot make a record
// the service acts on: not a planted one, not an edited one, not one moved
// to another request's key. (One put back whole, version and all, is caught
// by the directory before its first write: stillCurrent in steps_directory.go.)
// Binary, not a JSON envelope: every load would otherwise parse the record
// twice, and every save base64 the MAC.
const recordFormat = 1

var errUnauthenticated = errors.New("not an authenticated record")

func (s *Sealer) recordMAC(key string, version int64, rec []byte) []byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte("unlockbot.record\x00" + key + "\x00" + strconv.FormatInt(version, 10) + "\x00"))
	m.Write(rec)
	return m.Sum(nil)
}

// sealRecord wraps rec for storage at version.
func (s *Sealer) sealRecord(key string, version int64, rec []byte) ([]byte, error) {
	out := append([]byte{recordFormat}, s.recordMAC(key, version, rec)...)
	return append(out, rec...), nil
}

// openRecord returns the record JSON if its MAC holds for key and version.
func (s *Sealer) openRecord(key string, version int64, stored []byte) ([]byte, error) {
	if len(stored) <= 1+sha256.Size || stored[0] != recordFormat { // a header and no record is no record
		return nil, errUnauthenticated
	}
	mac, rec := stored[1:1+sha256.Size], stored[1+sha256.Size:]
	if !hmac.Equal(mac, s.recordMAC(key, version, rec)) {
		return nil, errors.New("record MAC does not match")
	}
	return rec, nil
}

// TamperedError is a stored request that failed its integrity check. What
// it claims (org, platform) is untrusted and used only to alert.
type TamperedError struct {
	ID      string
	Version int64
	Org     string // as claimed by the record, if readable
	Why     string
}

func (e *TamperedError) Error() string {
	return "request " + e.ID + " v" + strconv.FormatInt(e.Version, 10) + " failed its integrity check: " + e.Why
}

func (e *TamperedError) SafeMessage() string {
	return "This request's stored record failed its integrity check, so unlockbot will not act on it. The organization's approvers were alerted; submit a new request with /unlock."
}

// validID accepts what newID makes ("r" and 16 base32 letters and digits),
// so a key someone planted with a crafted name is never read, and never
// quoted in a message to people.
func validID(id string) bool {
	if len(id) != 17 || id[0] != 'r' {
		return false
	}
	for _, c := range id[1:] {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// claimedOrg reads the org a record says it belongs to, for the alert only:
// a record in our format, or plain JSON as someone may have planted it.
func claimedOrg(stored []byte) string {
	var probe struct {
		Org string `json:"org"`
	}
	if len(stored) > 1+sha256.Size && stored[0] == recordFormat {
		stored = stored[1+sha256.Size:]
	}
	_ = json.Unmarshal(stored, &probe)
	return probe.Org
}

// load reads a request for the flow. A record that fails its integrity
// check is never returned: it is audited, its org's approval channel is
// alerted (once per stored version, however often it is read), and the
// caller gets an error saying nothing will be done.
func (s *Service) load(ctx context.Context, id string) (*Request, error) {
	if !validID(id) {
		return nil, errorf("bot.load", KindNotFound, nil, "This request does not exist. Start a new one with /unlock.")
	}
	r, err := s.repo.load(ctx, id)
	return r, s.untampered(ctx, err)
}

// untampered reports a record that failed its check (once per version)
// and turns it into the sentence people read; other errors pass.
func (s *Service) untampered(ctx context.Context, err error) error {
	var te *TamperedError
	if errors.As(err, &te) {
		s.tampered(ctx, te)
		return errorf("bot.load", KindForbidden, te, "%s", te.SafeMessage())
	}
	return err
}

// tamperAlertEvery bounds the alerts one org's channel gets: a store
// writer planting a thousand records must not flood the approvers.
const tamperAlertEvery = 10 * time.Minute

func (s *Service) tampered(ctx context.Context, te *TamperedError) {
	s.log.Error().Str("request", te.ID).Int64("version", te.Version).Str("claimed_org", te.Org).Str("why", te.Why).
		Str("event", "request.tampered").Msg("a stored request failed its integrity check; not acting on it")
	mark := "tamper:" + te.ID + ":" + strconv.FormatInt(te.Version, 10)
	first, err := s.repo.st.Mark(ctx, mark, requestTTL)
	if err != nil || !first {
		return
	}
	if err := s.audit.Write(ctx, audit.Event{Time: s.now().UTC(), Type: "request.tampered", RequestID: te.ID, Org: te.Org,
		Actor: "system", Outcome: audit.Refused, Detail: map[string]string{"version": strconv.FormatInt(te.Version, 10), "why": te.Why}}); err != nil {
		_ = s.repo.st.Delete(ctx, mark) // not recorded: the next read tries again
		return
	}
	o, ok := s.orgs[te.Org]
	if !ok {
		return
	}
	slot := s.now().UTC().Truncate(tamperAlertEvery).Unix()
	if first, err := s.repo.st.Mark(ctx, "tamper-alert:"+o.ID+":"+strconv.FormatInt(slot, 10), requestTTL); err != nil || !first {
		return // announced in this window already; each record is still audited
	}
	c := tamperCard(te.ID)
	for platform, ch := range o.ApprovalChannel {
		if n := s.notifiers[platform]; n != nil && ch != "" {
			if _, err := n.PostApproval(ctx, ch, c); err != nil {
				s.log.Warn().Err(err).Str("request", te.ID).Msg("could not alert the approval channel")
			}
		}
	}
}
