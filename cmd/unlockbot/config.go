package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// Config is the one YAML file. Secrets are never inline: every secret is a
// *_env (name of an environment variable) or *_file (path) reference, so
// the file can be committed and reviewed.
type Config struct {
	Listen string `yaml:"listen"`
	// MetricsListen serves /metrics on its own address (say 127.0.0.1:9090
	// or a cluster-internal port) instead of beside the chat endpoints.
	MetricsListen string          `yaml:"metrics_listen"`
	RedisURL      string          `yaml:"redis_url"` // without a password; else use redis_url_env / redis_url_file
	RedisURLEnv   string          `yaml:"redis_url_env"`
	RedisURLFile  string          `yaml:"redis_url_file"`
	RedisPrefix   string          `yaml:"redis_prefix"` // default "unlockbot:"; separates deployments sharing a Redis
	RedisTLS      *RedisTLSConfig `yaml:"redis_tls"`
	Redis         *RedisConfig    `yaml:"redis"` // Sentinel, Cluster or an ACL user: instead of redis_url
	SealKeyEnv    string          `yaml:"seal_key_env"`
	SealKeyFile   string          `yaml:"seal_key_file"`
	LogLevel      string          `yaml:"log_level"`
	LogFormat     string          `yaml:"log_format"` // json or console; empty: json for serve, console for the CLI
	Health        HealthConfig    `yaml:"health"`
	Audit         AuditConfig     `yaml:"audit"`
	Slack         SlackConfig     `yaml:"slack"`
	Teams         TeamsConfig     `yaml:"teams"`
	Limits        LimitsConfig    `yaml:"limits"`
	Recovery      RecoveryConfig  `yaml:"recovery"`
	// TypeaheadIdle drops an org's account-picker snapshot from memory
	// when nobody searched it this long (default 30m); the next search
	// reads it again.
	TypeaheadIdle time.Duration `yaml:"typeahead_idle"`
	Orgs          []OrgConfig   `yaml:"orgs"`
	// SMTP sends the owner notice by e-mail (smtpconfig.go).
	SMTP SMTPConfig `yaml:"smtp"`
	// SMS sends verification codes by text message (smsconfig.go).
	SMS SMSConfig `yaml:"sms"`
}

// LimitsConfig bounds one technician across all orgs.
type LimitsConfig struct {
	TechnicianOpenRequests    int `yaml:"technician_open_requests"`     // default 5
	TechnicianRequestsPerHour int `yaml:"technician_requests_per_hour"` // default 20
	// Burst alerts an org's approval channel, once per window, when one
	// technician or one org passes its threshold of requests.
	Burst BurstConfig `yaml:"burst"`
}

// BurstConfig is limits.burst; a threshold of -1 turns that alert off.
type BurstConfig struct {
	Technician int           `yaml:"technician"` // requests by one technician in the window (default 10)
	Org        int           `yaml:"org"`        // requests for one org in the window (default 30)
	Window     time.Duration `yaml:"window"`     // default 10m
}

// RecoveryConfig is how a replica takes over work another one left.
type RecoveryConfig struct {
	Lease         time.Duration `yaml:"lease"`          // a worker owns a reset this long (default 2m)
	SweepInterval time.Duration `yaml:"sweep_interval"` // how often each replica looks for stuck requests (default 30s)
	// TicketRetryFirst is the wait before a ticket update the PSA did not
	// take is tried again (default 1m, doubling up to 30m).
	TicketRetryFirst time.Duration `yaml:"ticket_retry_first"`
	// JobWorkers bounds the approvals one replica carries out at once when
	// the replicas share a Redis job queue (default 16).
	JobWorkers int `yaml:"job_workers"`
	// ShutdownGrace is how long serve lets running work finish after
	// SIGTERM before handing it to another replica (default 20s: with the
	// hand-back's few seconds, inside Kubernetes' 30 s
	// terminationGracePeriodSeconds).
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// SlackConfig pins the one workspace and app this unlockbot serves. Slack
// requests from anywhere else are refused, and the user and group ids in
// the orgs' slack blocks are taken as ids of this workspace.
type SlackConfig struct {
	TeamID       string `yaml:"team_id"`       // T…; required when SLACK_BOT_TOKEN is set
	EnterpriseID string `yaml:"enterprise_id"` // E…; optional, pins the Enterprise Grid too
	AppID        string `yaml:"app_id"`        // A…; required when SLACK_BOT_TOKEN is set
	// GroupMaxStale is how long a user group that Slack fails to list
	// keeps its last known members (default 15m); then its roles lapse
	// until Slack answers again.
	GroupMaxStale time.Duration `yaml:"group_max_stale"`
	// ChannelInterval and ChannelBurst pace the bot's messages per
	// channel across every replica (defaults 1s and 3; slackconfig.go).
	ChannelInterval time.Duration `yaml:"channel_interval"`
	ChannelBurst    int           `yaml:"channel_burst"`
}

type OrgConfig struct {
	ID        string          `yaml:"id"`
	Name      string          `yaml:"name"`
	Directory DirectoryConfig `yaml:"directory"`
	PSA       PSAConfig       `yaml:"psa"`
	Policy    PolicyConfig    `yaml:"policy"`
	Slack     ChatConfig      `yaml:"slack"`
	Teams     ChatConfig      `yaml:"teams"`
}

type DirectoryConfig struct {
	Kind               string        `yaml:"kind"` // ad, ldap, entra, demo
	URL                string        `yaml:"url"`
	StartTLS           bool          `yaml:"start_tls"`
	CAFile             string        `yaml:"ca_file"`
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"` // only with dev_mode
	DevMode            bool          `yaml:"dev_mode"`
	UserFilter         string        `yaml:"user_filter"`
	DialTimeout        time.Duration `yaml:"dial_timeout"`
	OpTimeout          time.Duration `yaml:"op_timeout"`
	TypeaheadRefresh   time.Duration `yaml:"typeahead_refresh"` // account picker snapshot, changes only; default 1m
	// TypeaheadFullEvery is how often the picker snapshot reads the whole
	// directory, which is how deleted accounts leave it (default 1h).
	TypeaheadFullEvery   time.Duration `yaml:"typeahead_full_every"`
	BindDN               string        `yaml:"bind_dn"`
	BindPasswordEnv      string        `yaml:"bind_password_env"`
	BindPasswordFile     string        `yaml:"bind_password_file"`
	BaseDN               string        `yaml:"base_dn"`
	DenyGroups           []string      `yaml:"deny_groups"`
	IntentionalLockGroup string        `yaml:"intentional_lock_group"`
	DefaultPolicyDN      string        `yaml:"default_policy_dn"` // kind ldap: the ppolicy entry for accounts without pwdPolicySubentry
	MaxConns             int           `yaml:"max_conns"`
	// MaxConcurrentResets bounds the resets this directory takes at once,
	// counted across every replica (0: no bound).
	MaxConcurrentResets int `yaml:"max_concurrent_resets"`
	// Entra is the tenant (kind entra); OnPremises, with it, the org's AD,
	// where accounts synced from it are unlocked and reset.
	Entra      *EntraConfig     `yaml:"entra"`
	OnPremises *DirectoryConfig `yaml:"on_premises"`
}

type PSAConfig struct {
	Kind      string `yaml:"kind"`       // local, connectwise, kaseya_bms, freshdesk, superops (see psaKinds)
	CompanyID string `yaml:"company_id"` // the PSA's id of this org's client company
	// Each vendor's own settings (base URL, credentials as *_env/*_file,
	// board, queue and status ids); only the block of Kind is read.
	ConnectWise *ConnectWiseConfig `yaml:"connectwise"`
	KaseyaBMS   *KaseyaBMSConfig   `yaml:"kaseya_bms"`
	Freshdesk   *FreshdeskConfig   `yaml:"freshdesk"`
	SuperOps    *SuperOpsConfig    `yaml:"superops"`
}

type PolicyConfig struct {
	RequireApproval           *bool         `yaml:"require_approval"`
	MinPasswordLength         int           `yaml:"min_password_length"`
	MaxResetsPerAccountPerDay int           `yaml:"max_resets_per_account_per_day"`
	ApprovalTTL               time.Duration `yaml:"approval_ttl"`
	GeneratedLength           int           `yaml:"generated_length"`
	PassphraseWords           int           `yaml:"passphrase_words"`
	// TicketRetryFor is how long a ticket update the PSA did not take
	// after a reset is retried in the background (default 24h, 10m–6d).
	TicketRetryFor time.Duration `yaml:"ticket_retry_for"`
	// NotifyOwner tells the account's owner after every unlock or reset.
	NotifyOwner NotifyOwnerConfig `yaml:"notify_owner"`
	// Verify is how the caller proves who they are before a reset.
	Verify VerifyConfig `yaml:"verify"`
	// SelfService lets people unlock their own account.
	SelfService SelfServiceConfig `yaml:"self_service"`
	// PasswordBlocklistFile lists the org's own words (its name, its
	// products) that no password may contain, one a line.
	PasswordBlocklistFile string     `yaml:"password_blocklist_file"`
	HIBP                  HIBPConfig `yaml:"hibp"`
	// LockMode is how /lock holds an account: disable (default: the
	// intentional-lock group and the account disabled) or group (the
	// group alone; the account still signs in).
	LockMode string `yaml:"lock_mode"`
}

// ChatConfig is one platform's view of an org: which channels are its,
// where approvals go, who may ask and who may approve (user or group ids).
type ChatConfig struct {
	Channels        []string `yaml:"channels"`
	ApprovalChannel string   `yaml:"approval_channel"`
	Technicians     []string `yaml:"technicians"`
	Approvers       []string `yaml:"approvers"`
	// Admins may /lock accounts on purpose and release them.
	Admins []string `yaml:"admins"`
	// AuthorizedRequesters, when any are listed, are the only people
	// (or groups) who may ask on behalf of others; every other technician
	// may ask only for their own account.
	AuthorizedRequesters []string `yaml:"authorized_requesters"`
}

// LoadConfig reads and validates path. Unknown keys are errors: a typo in
// a security setting must not be silently ignored.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(b)
}

// ParseConfig decodes and validates YAML.
func ParseConfig(b []byte) (*Config, error) {
	if err := rejectInlineSecrets(b); err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.Limits.TechnicianOpenRequests == 0 {
		c.Limits.TechnicianOpenRequests = 5
	}
	if c.Limits.TechnicianRequestsPerHour == 0 {
		c.Limits.TechnicianRequestsPerHour = 20
	}
	b := &c.Limits.Burst
	b.Technician, b.Org, b.Window = cmp.Or(b.Technician, 10), cmp.Or(b.Org, 30), cmp.Or(b.Window, 10*time.Minute)
	if c.Recovery.Lease == 0 {
		c.Recovery.Lease = 2 * time.Minute
	}
	if c.Recovery.SweepInterval == 0 {
		c.Recovery.SweepInterval = 30 * time.Second
	}
	if c.Recovery.JobWorkers == 0 {
		c.Recovery.JobWorkers = 16
	}
	if c.Recovery.ShutdownGrace == 0 {
		c.Recovery.ShutdownGrace = 20 * time.Second
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	c.Health.defaults()
	c.Teams.fromEnv()
	if c.Slack.GroupMaxStale == 0 {
		c.Slack.GroupMaxStale = bot.DefaultGroupMaxStale
	}
	c.Slack.paceDefaults()
	for i := range c.Orgs {
		o := &c.Orgs[i]
		if o.Name == "" {
			o.Name = o.ID
		}
		o.Teams.lowerGUIDs()
		if o.PSA.Kind == "" {
			o.PSA.Kind = "local"
		}
		if o.PSA.CompanyID == "" && o.PSA.Kind == "local" {
			o.PSA.CompanyID = o.ID // local tickets: the org is its own company
		}
		if o.Policy.RequireApproval == nil {
			t := true
			o.Policy.RequireApproval = &t
		}
	}
}

// Validate names the key and says what is wrong.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.RedisURL != "" {
		// Never echo the URL: it may hold a password.
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			bad("redis_url", "must be redis://host:port/db or rediss://host:port/db")
		} else if _, hasPW := u.User.Password(); hasPW {
			bad("redis_url", "holds a password; secrets are never written in the file: put the URL in redis_url_env or redis_url_file")
		}
	}
	if c.usesRedis() && c.SealKeyEnv == "" && c.SealKeyFile == "" {
		bad("seal_key_env", "is required with Redis: pending passwords are stored encrypted with this 32-byte key (base64), shared by all replicas")
	}
	if l := c.Limits; l.TechnicianOpenRequests < 1 || l.TechnicianOpenRequests > 100 {
		bad("limits.technician_open_requests", "must be between 1 and 100 (got %d)", l.TechnicianOpenRequests)
	}
	if l := c.Limits; l.TechnicianRequestsPerHour < 1 || l.TechnicianRequestsPerHour > 1000 {
		bad("limits.technician_requests_per_hour", "must be between 1 and 1000 (got %d)", l.TechnicianRequestsPerHour)
	}
	if b := c.Limits.Burst; b.Technician < -1 || b.Org < -1 {
		bad("limits.burst", "thresholds must be a number of requests, or -1 for no alert (got technician %d, org %d)", b.Technician, b.Org)
	}
	if b := c.Limits.Burst; b.Window < time.Minute || b.Window > 24*time.Hour {
		bad("limits.burst.window", "must be between 1m and 24h (got %s)", b.Window)
	}
	if r := c.Recovery; r.Lease < time.Second || r.Lease > 30*time.Minute {
		bad("recovery.lease", "must be between 1s and 30m (got %s): a reset whose worker died waits this long before another replica takes it over", r.Lease)
	}
	if r := c.Recovery; r.TicketRetryFirst != 0 && (r.TicketRetryFirst < time.Second || r.TicketRetryFirst > 30*time.Minute) {
		bad("recovery.ticket_retry_first", "must be between 1s and 30m (got %s)", r.TicketRetryFirst)
	}
	if r := c.Recovery; r.SweepInterval < time.Second || r.SweepInterval > 10*time.Minute {
		bad("recovery.sweep_interval", "must be between 1s and 10m (got %s)", r.SweepInterval)
	}
	if r := c.Recovery; r.JobWorkers < 1 || r.JobWorkers > 256 {
		bad("recovery.job_workers", "must be between 1 and 256 (got %d)", r.JobWorkers)
	}
	if r := c.Recovery; r.ShutdownGrace < time.Second || r.ShutdownGrace > 10*time.Minute {
		bad("recovery.shutdown_grace", "must be between 1s and 10m (got %s); keep it 10 s below the pod's terminationGracePeriodSeconds", r.ShutdownGrace)
	}
	c.RedisTLS.validate(c, bad)
	c.Redis.validate(c, bad)
	c.Audit.validate(bad)
	c.Slack.validate(bad)
	c.Teams.validate(bad)
	c.Health.validate(bad)
	validateLogFormat(c.LogFormat, bad)
	if len(c.Orgs) == 0 {
		bad("orgs", "list at least one organization")
	}
	seen := map[string]bool{}
	for i, o := range c.Orgs {
		k := fmt.Sprintf("orgs[%d]", i)
		if o.ID == "" || strings.ContainsAny(o.ID, " :/") {
			bad(k+".id", "must be a short id without spaces, ':' or '/' (got %q)", o.ID)
		}
		if seen[o.ID] {
			bad(k+".id", "%q is used twice", o.ID)
		}
		seen[o.ID] = true
		o.Directory.validate(k+".directory", bad)
		o.Teams.validateTeams(k+".teams", bad)
		o.PSA.validate(k+".psa", bad)
		p := o.Policy
		if p.MinPasswordLength != 0 && (p.MinPasswordLength < 8 || p.MinPasswordLength > 128) {
			bad(k+".policy.min_password_length", "must be between 8 and 128 (got %d)", p.MinPasswordLength)
		}
		if p.MaxResetsPerAccountPerDay < 0 || p.MaxResetsPerAccountPerDay > 50 {
			bad(k+".policy.max_resets_per_account_per_day", "must be between 1 and 50 (got %d)", p.MaxResetsPerAccountPerDay)
		}
		if p.ApprovalTTL < 0 || p.ApprovalTTL > 24*time.Hour {
			bad(k+".policy.approval_ttl", "must be between 1m and 24h (got %s)", p.ApprovalTTL)
		}
		if p.GeneratedLength != 0 && (p.GeneratedLength < 12 || p.GeneratedLength > 64) {
			bad(k+".policy.generated_length", "must be between 12 and 64 (got %d)", p.GeneratedLength)
		}
		p.validatePassphrase(k+".policy.passphrase_words", bad)
		p.HIBP.validate(k+".policy.hibp", bad)
		if p.TicketRetryFor != 0 && (p.TicketRetryFor < 10*time.Minute || p.TicketRetryFor > 6*24*time.Hour) {
			bad(k+".policy.ticket_retry_for", "must be between 10m and 144h (6 days: a request is kept 7) (got %s)", p.TicketRetryFor)
		}
		p.NotifyOwner.validate(k+".policy.notify_owner", c, bad)
		if p.LockMode != "" && !identity.LockMode(p.LockMode).Valid() {
			bad(k+".policy.lock_mode", "must be disable or group (got %q)", p.LockMode)
		}
		p.Verify.validate(k+".policy.verify", c, o, bad)
		p.SelfService.validate(k+".policy.self_service", p.Verify, c.SMTP, bad)
	}
	c.checkLease(bad)
	c.SMTP.validate(bad)
	c.SMS.validate(bad)
	checkOverlaps(c.Orgs, bad)
	return errors.Join(errs...)
}

// maxPassphraseWords keeps a passphrase short enough to read over the phone;
// 10 words already carry about 135 bits.
const maxPassphraseWords = 10

// Warnings are settings that start but cannot work as intended.
func (c *Config) Warnings() []string {
	var w []string
	for i, o := range c.Orgs {
		if !*o.Policy.RequireApproval {
			continue
		}
		if why := approvalWarning(bindingsOf(platforms, c, o)); why != "" {
			w = append(w, fmt.Sprintf("orgs[%d] (%s) requires approval but %s: its chat requests will be refused until both are set", i, o.ID, why))
		}
	}
	return w
}
