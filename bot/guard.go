package bot

import (
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// guard is the default-deny check on the target account. It runs at submit
// (to answer inside the form) and again, on a fresh read, right before the
// reset, because group membership can change while a request waits.
func guard(a identity.Account) *Refusal {
	switch {
	case a.GuardUnavailable:
		return &Refusal{"guard_unavailable", "The directory did not tell us whether this account is privileged, so it is left alone. Ask an admin to run unlockbot check: the bot account must be able to read group memberships and roles (AD: tokenGroups and adminCount; Entra ID: role assignments and group membership)."}
	case !a.InScope:
		return &Refusal{"outside_scope", "This account is outside the part of the directory unlockbot may change for this organization."}
	case len(a.ProtectedGroups) > 0:
		return &Refusal{"protected_group", "This is a privileged account (member of " + strings.Join(a.ProtectedGroups, ", ") + "). unlockbot never resets those; a domain admin must do it by hand."}
	case a.AdminCount:
		return &Refusal{"admin_count", "This account is, or was, privileged (adminCount=1). unlockbot never resets those; a domain admin must do it by hand."}
	case len(a.DenyGroups) > 0:
		return &Refusal{"deny_group", "This account is in a group this organization protects (" + strings.Join(a.DenyGroups, ", ") + "). Ask the organization's IT contact."}
	case a.IntentionalLock:
		return &Refusal{"intentional_lock", "This account was locked on purpose (intentional-lock group). Ask the organization's IT contact before anything is changed."}
	case a.Disabled:
		return &Refusal{"disabled", "This account is disabled, and unlockbot never enables accounts. Ask the organization's IT contact whether it should be re-enabled."}
	}
	return nil
}
