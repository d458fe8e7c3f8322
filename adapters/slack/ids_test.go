package slack

import "github.com/unlockbot/unlockbot/bot"

// The ids the tests send as Slack would, named as the modals carry them.
const (
	callbackRequest = string(bot.FormRequest)
	callbackDeny    = string(bot.FormDeny)
	pickOrgFirst    = bot.PickOrgFirst
	checkedValue    = bot.CheckedValue
	denyReasonBlock = string(bot.FieldDenyReason)
)
