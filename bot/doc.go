// Package bot is the platform-neutral flow: the request and its state
// machine, policy, the shared reset service and the neutral card and form
// model. Adapters translate chat payloads into the entry points below and
// render what they return; nothing here imports a chat SDK.
//
// The flow, in the order a request meets it (file names follow it):
//
//	command.go   NewForm opens the request form; Suggest answers its
//	             type-ahead; PickedFacts draws the picked account's facts
//	submit.go    Submit, BreakGlass (the CLI); submit_form.go: SubmitForm
//	             and ParseRequest read a submitted form
//	approval.go  the approval card; Approve, Deny, CanDecide; expiry
//	click.go     Click: one entry point for every button; jobs.go runs
//	             decisions after the platform's ack (Jobs, InProcess)
//	execute.go   Execute: claim, recheck, then the steps (steps*.go:
//	             password, directory write, verify, ticket, note)
//	finish.go    done or failed; retry.go: Retry
//	reveal.go    Reveal: the generated password, once, to its requester
//	notify.go    the Notifier adapters implement, and what is sent to it
//	sweep.go     Sweep: expiry and takeover of requests nobody moves, read
//	             from the due-set each save fills (deadline.go; the one-time
//	             backfill of older stores: backfill.go)
//
// Around it: messages*.go hold every text a platform shows; request.go the
// states and their transitions; update.go the one compare-and-swap update;
// repo.go and integrity.go the stored, authenticated records; guard.go,
// refusal.go, limits.go, password.go and org.go the policy; groups.go the
// fail-closed group cache adapters feed.
package bot
