package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Config wires a Service.
type Config struct {
	Store     store.Store
	Sealer    *Sealer
	Audit     audit.Sink
	Orgs      []*Org
	Notifiers map[string]Notifier // by platform
	Log       zerolog.Logger
	Now       func() time.Time
	// Lease is how long one executor owns a reset before another may take
	// it over (a crashed replica).
	Lease time.Duration
	// RunTries is how many times one execution tries a reset whose
	// directory or store did not answer before it stops with Retry offered
	// (default 3; 1: at once).
	RunTries int
	// TicketRetryFirst is the wait before a pending ticket update is tried
	// again (default 1 min); each later try waits twice as long, up to 30
	// minutes.
	TicketRetryFirst time.Duration
	// Limits per technician (zero values: the defaults).
	Limits Limits
	// Jobs runs decisions after the platform's ack (default: InProcess,
	// on this replica).
	Jobs Jobs
	// Mailer sends the owner notice by e-mail (nil: no e-mail).
	Mailer Mailer
	// SMS sends verification codes by text message (nil: none).
	SMS SMSSender
}

// Service runs the flow. It is safe for concurrent use and holds no request
// state of its own: everything lives in the store, so any replica can take
// the next event.
type Service struct {
	repo      repo
	audit     audit.Sink
	orgs      map[string]*Org
	orgList   []*Org
	notifiers map[string]Notifier
	mailer    Mailer
	sms       SMSSender
	people    map[string]People
	log       zerolog.Logger
	now       func() time.Time
	lease     time.Duration
	runTries  int
	// ticketRetryFirst: see Config.TicketRetryFirst.
	ticketRetryFirst time.Duration
	limits           Limits
	jobs             Jobs
	bg               *InProcess // detached work of this process
	lastSweep        atomic.Pointer[SweepStats]
	backfilled       atomic.Bool // this store's due-set is known to be filled
	duePage, dueMax  int         // due deadlines read per store call, per sweep
	factsGate        *rateGate   // sheds facts redraws in a flood
	views            viewMemo    // approval cards of records viewed before (view_memo.go)

	// afterStep, when set (tests only), runs after each recorded reset step
	// ("reserve": after prepare, whose answers the write's intent records);
	// an error simulates a crash at that point. afterEffect runs between a
	// side effect and its record, the moment a crash must not repeat it.
	afterStep   func(step string) error
	afterEffect func(step string) error
}

// New checks the wiring and returns a Service.
func New(c Config) (*Service, error) {
	if c.Store == nil || c.Sealer == nil || c.Audit == nil {
		return nil, fmt.Errorf("bot.New: store, sealer and audit sink are required")
	}
	s := &Service{
		repo:             repo{st: c.Store, sealer: c.Sealer},
		audit:            c.Audit,
		orgs:             map[string]*Org{},
		notifiers:        c.Notifiers,
		mailer:           c.Mailer,
		sms:              c.SMS,
		log:              c.Log,
		now:              c.Now,
		lease:            c.Lease,
		runTries:         c.RunTries,
		ticketRetryFirst: c.TicketRetryFirst,
		limits:           c.Limits.withDefaults(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.bg = NewInProcess(s.log)
	s.repo.detach = func(fn func(context.Context)) { s.bg.Go(fn) }
	s.jobs = c.Jobs
	if s.jobs == nil {
		s.jobs = s.bg
	}
	s.jobs.Start(s.RunJob)
	s.factsGate = &rateGate{max: factsMaxRate}
	if s.ticketRetryFirst <= 0 {
		s.ticketRetryFirst = ticketRetryFirst
	}
	if s.lease == 0 {
		s.lease = 2 * time.Minute
	}
	if s.runTries <= 0 {
		s.runTries = defaultRunTries
	}
	s.repo.lease, s.repo.now = s.lease, s.now
	s.duePage, s.dueMax = defaultDuePage, defaultDueMax
	if s.notifiers == nil {
		s.notifiers = map[string]Notifier{}
	}
	s.people = map[string]People{}
	for _, o := range c.Orgs {
		if o.ID == "" || o.Directory == nil || o.Tickets == nil {
			return nil, fmt.Errorf("bot.New: org %q needs an id, a directory and a ticket system", o.ID)
		}
		if _, dup := s.orgs[o.ID]; dup {
			return nil, fmt.Errorf("bot.New: org %q configured twice", o.ID)
		}
		o.Policy = o.Policy.withDefaults()
		s.orgs[o.ID] = o
		s.orgList = append(s.orgList, o)
	}
	sort.Slice(s.orgList, func(i, j int) bool { return s.orgList[i].Name < s.orgList[j].Name })
	return s, nil
}

// SetNotifier registers the adapter for a platform (adapters are built after
// the service, since they call it).
func (s *Service) SetNotifier(platform string, n Notifier) { s.notifiers[platform] = n }

// Detach runs fn after the platform's ack, on this process, with its own
// budget (a redraw, a sentence sent late). Drain waits for it.
func (s *Service) Detach(fn func(ctx context.Context)) { s.bg.Go(fn) }

// InFlight is how much work runs on this process now: jobs (when they run
// in process) and detached work. A metrics gauge reads it; it stays near
// zero unless something is slow.
func (s *Service) InFlight() int {
	n := s.bg.Running()
	if p, ok := s.jobs.(interface{ Running() int }); ok && s.jobs != Jobs(s.bg) {
		n += p.Running() // jobs of a shared queue that run here
	}
	return n
}

// Drain waits for jobs and detached work to end (shutdown), or for ctx.
func (s *Service) Drain(ctx context.Context) error {
	if s.jobs != Jobs(s.bg) {
		if err := s.jobs.Drain(ctx); err != nil {
			return err
		}
	}
	return s.bg.Drain(ctx)
}

// Org returns an org by id.
func (s *Service) Org(id string) (*Org, bool) { o, ok := s.orgs[id]; return o, ok }

// OrgsFor lists the orgs the actor serves as technician, by name.
func (s *Service) OrgsFor(a Actor) []*Org {
	var out []*Org
	for _, o := range s.orgList {
		if o.IsTechnician(a) {
			out = append(out, o)
		}
	}
	return out
}

// OrgForChannel finds the org a channel belongs to, if any.
func (s *Service) OrgForChannel(platform, channel string) *Org {
	for _, o := range s.orgList {
		if o.OwnsChannel(platform, channel) {
			return o
		}
	}
	return nil
}

// orgOf is the org a stored request belongs to; an org removed from the
// config since is an error, not a nil to trip over.
func (s *Service) orgOf(op string, r *Request) (*Org, error) {
	o, ok := s.orgs[r.OrgID]
	if !ok {
		return nil, errorf(op, KindForbidden, nil, "This request's organization is no longer configured.")
	}
	return o, nil
}

// techOrg returns the org if the actor is one of its technicians.
func (s *Service) techOrg(op string, a Actor, orgID string) (*Org, error) {
	o, ok := s.orgs[orgID]
	if !ok || !o.IsTechnician(a) {
		return nil, errorf(op, KindForbidden, nil, "You are not a technician for that organization. Ask an unlockbot admin to add you.")
	}
	return o, nil
}

func newID() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "r" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// record writes an audit event durably: its error is returned because a
// step whose trail cannot be written is not done. The flow records this
// way what must be on disk before it acts: an approval, the intent right
// before a directory write, the outcome at the end.
func (s *Service) record(ctx context.Context, typ, outcome string, r *Request, actor string, detail map[string]string) error {
	e := s.event(typ, outcome, r, actor, detail)
	if err := s.audit.Write(ctx, e); err != nil {
		s.log.Error().Err(err).Str("event", typ).Msg("audit write failed")
		return auditFailed(err)
	}
	return nil
}

// recordAfter appends an event reporting what is already done; the next
// record (at the latest the request's end) makes it durable.
func (s *Service) recordAfter(ctx context.Context, typ, outcome string, r *Request, actor string, detail map[string]string) error {
	if err := s.append(ctx, s.event(typ, outcome, r, actor, detail)); err != nil {
		return auditFailed(err)
	}
	return nil
}

// recordSoon writes an event that must be durable before the flow changes
// anything, without waiting for the disk now: it is appended (in order,
// handed to the OS) and flushed in the background while the flow reads the
// directory; wait, called before the change, returns the flush's outcome.
// A sink that cannot flush on its own takes a durable Write at once.
func (s *Service) recordSoon(ctx context.Context, typ, outcome string, r *Request, actor string, detail map[string]string) (wait func() error, err error) {
	if _, ok := s.audit.(audit.Syncer); !ok {
		return func() error { return nil }, s.record(ctx, typ, outcome, r, actor, detail)
	}
	if err := s.append(ctx, s.event(typ, outcome, r, actor, detail)); err != nil {
		return nil, auditFailed(err)
	}
	return s.flushSoon(ctx, typ), nil
}

// flushSoon flushes what was appended, in the background; the returned
// func waits for it (typ names the event for the log). The sink is a
// Syncer.
func (s *Service) flushSoon(ctx context.Context, typ string) func() error {
	y := s.audit.(audit.Syncer)
	flushed := make(chan error, 1)
	go func() { flushed <- y.Sync(context.WithoutCancel(ctx)) }()
	return sync.OnceValue(func() error {
		if err := <-flushed; err != nil {
			s.log.Error().Err(err).Str("event", typ).Msg("audit flush failed")
			return auditFailed(err)
		}
		return nil
	})
}

func auditFailed(err error) error {
	return errorf("bot.audit", KindUnavailable, err, "The audit trail could not be written, so nothing more was done. Ask an admin to run unlockbot check: it tests each audit destination.")
}

// event fills in what the trail says of every request event: where it
// happened, who acted (with their handle when they are the requester or
// the approver), the account as typed and resolved, the ticket and the
// thread's permalink once known.
func (s *Service) event(typ, outcome string, r *Request, actor string, detail map[string]string) audit.Event {
	e := audit.Event{Time: s.now().UTC(), Type: typ, Outcome: outcome, Actor: actor, Detail: detail}
	if r == nil {
		return e
	}
	e.RequestID, e.Org, e.Platform, e.Target, e.TargetDN = r.ID, r.OrgID, r.Platform, r.Account.Username, r.Account.ID
	if r.SelfService {
		e.Detail = withOrigin(detail)
	}
	switch {
	case actor == r.Requester.Key():
		e.ActorName = r.Requester.Name
	case r.Approver != nil && actor == r.Approver.Key():
		e.ActorName = r.Approver.Name
	}
	e.Ticket = r.Steps.TicketID
	if e.Ticket == "" {
		e.Ticket = r.TicketID
	}
	if r.ApprovalMsg != nil {
		e.Link = r.ApprovalMsg.Link
	}
	return e
}

// append writes an event that reports something already done or refused:
// it need not be on disk before the flow goes on, because the next durable
// Write (before the next directory change, or at the end) flushes it.
func (s *Service) append(ctx context.Context, e audit.Event) error {
	var err error
	if a, ok := s.audit.(audit.Appender); ok {
		err = a.Append(ctx, e)
	} else {
		err = s.audit.Write(ctx, e)
	}
	if err != nil {
		s.log.Error().Err(err).Str("event", e.Type).Msg("audit write failed")
	}
	return err
}

func (s *Service) reqLog(r *Request) *zerolog.Logger {
	l := s.log.With().Str("request", r.ID).Str("org", r.OrgID).Str("actor", r.Requester.Key()).Str("target", r.Account.Username).Logger()
	return &l
}
