package entra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// action says what the bot was doing, so a missing permission can be named.
type action int

const (
	actReadUsers action = iota
	actReadRoles
	actReadEligible
	actReadGroups
	actSetPassword
	actRevoke
	actReadApp
	actLockGroup // add to or remove from the intentional-lock group
	actDisable   // accountEnabled
)

// permission is the least-privileged application permission (and, for a
// password reset, the directory role) that act needs.
func (a action) permission() string {
	switch a {
	case actReadRoles:
		return "RoleManagement.Read.Directory"
	case actReadEligible:
		return "RoleEligibilitySchedule.Read.Directory (or RoleManagement.Read.Directory)"
	case actReadGroups:
		return "GroupMember.Read.All"
	case actSetPassword:
		return "User-PasswordProfile.ReadWrite.All, plus the Helpdesk Administrator or Password Administrator role for the app"
	case actRevoke:
		return "User.RevokeSessions.All"
	case actReadApp:
		return "Application.Read.All"
	case actLockGroup:
		return "GroupMember.ReadWrite.All"
	case actDisable:
		return "User.EnableDisableAccount.All"
	}
	return "User.Read.All"
}

// graphCode reports whether err is a Graph error with one of codes.
func graphCode(err error, codes ...string) bool {
	var ge *graphError
	if !errors.As(err, &ge) {
		return false
	}
	for _, c := range codes {
		if strings.EqualFold(ge.Code, c) {
			return true
		}
	}
	return false
}

func graphStatus(err error) int {
	var ge *graphError
	if errors.As(err, &ge) {
		return ge.Status
	}
	return 0
}

// classify turns err into an *identity.Error with op, kind and a sentence.
// Graph's message goes only into the chain (it can quote input); the
// request-id goes into both, so support can find the call.
func classify(op string, act action, err error) error {
	if err == nil {
		return nil
	}
	var done *identity.Error
	if errors.As(err, &done) {
		return err
	}
	var ge *graphError
	if !errors.As(err, &ge) {
		var ne net.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &ne):
			return transportError(op, "Microsoft Graph", err)
		}
		return identity.E(op, identity.KindInternal, "Microsoft Graph answered something the bot does not understand; try again, and report it if it persists.", err)
	}
	kind, sentinel, safe := explain(act, ge)
	if ge.RequestID != "" && (kind == identity.KindInternal || kind == identity.KindUnavailable || kind == identity.KindForbidden) {
		safe = strings.TrimSuffix(safe, ".") + " (Graph request-id " + ge.RequestID + ")."
	}
	if sentinel != nil {
		err = fmt.Errorf("%w: %w", sentinel, err)
	}
	return identity.E(op, kind, safe, err)
}

func explain(act action, ge *graphError) (identity.Kind, error, string) {
	code, msg := ge.Code, strings.ToLower(ge.Message)
	switch {
	case ge.Status == http.StatusTooManyRequests:
		return identity.KindUnavailable, identity.ErrUnavailable, "Microsoft Graph is throttling the bot; try again in a minute."
	case ge.Status == http.StatusServiceUnavailable || ge.Status == http.StatusGatewayTimeout || ge.Status >= 500:
		return identity.KindUnavailable, identity.ErrUnavailable, "Microsoft Graph is not answering right now; try again in a minute."
	case code == "Request_ResourceNotFound" || code == "ResourceNotFound" || ge.Status == http.StatusNotFound:
		return identity.KindNotFound, identity.ErrNotFound, "The account was not found in Entra ID (it may have been deleted)."
	case code == "Authorization_RequestDenied" || code == "Forbidden" || ge.Status == http.StatusForbidden:
		if act == actSetPassword && strings.Contains(msg, "insufficient privileges") {
			return identity.KindForbidden, identity.ErrRights, "The app lacks the right to reset this password: grant it User-PasswordProfile.ReadWrite.All in Entra admin center → App registrations → API permissions, then admin consent, and give the app the Helpdesk Administrator or Password Administrator role (Entra refuses resets of administrators by design)."
		}
		return identity.KindForbidden, identity.ErrRights, "The app lacks permission " + act.permission() + ": grant it in Entra admin center → App registrations → API permissions, then admin consent."
	case code == "InvalidAuthenticationToken" || ge.Status == http.StatusUnauthorized:
		return identity.KindForbidden, identity.ErrRights, "Microsoft Graph refused the bot's token; check that authority_url and graph_url belong to the same cloud."
	case act == actSetPassword && isSyncedRefusal(msg):
		return identity.KindForbidden, identity.ErrSynced, "This account is synced from on-premises Active Directory: reset it in AD; a cloud reset would be overwritten or refused."
	case act == actSetPassword && strings.Contains(msg, "password"):
		return identity.KindInvalid, identity.ErrPolicy, "Entra ID rejected the new password: it does not meet the tenant's password policy (length, complexity, banned words or history)."
	case code == "Request_UnsupportedQuery" || code == "BadRequest" || code == "Request_BadRequest":
		return identity.KindInternal, nil, "Microsoft Graph did not accept the bot's query; report this, it is a bug in unlockbot."
	}
	return identity.KindInternal, nil, fmt.Sprintf("Microsoft Graph answered with an unexpected error (HTTP %d, %s).", ge.Status, code)
}

// isSyncedRefusal: Graph's answer to a cloud write on an on-premises
// mastered object without password write-back.
func isSyncedRefusal(msg string) bool {
	return strings.Contains(msg, "on-premises mastered") || strings.Contains(msg, "directory sync")
}
