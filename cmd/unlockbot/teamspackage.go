package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The Teams app manifest version the package targets. Its official schema is
// vendored in testdata/ (see testdata/SOURCE-teams-manifest.md) and the tests
// validate every generated manifest against it; change both together.
const (
	teamsManifestVersion = "1.17"
	teamsManifestSchema  = "https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
	teamsDocsURL         = "https://github.com/unlockbot/unlockbot/blob/main/docs/teams.md"
	// teamsAccent is the manifest's accentColor and the colour icon's background.
	teamsAccent = "#2F5496"
)

// teamsAppNamespace derives the Teams app id from the bot's app id (UUID v5).
// Teams keys an uploaded app by this id: the same bot must get the same id
// on every run, or uploading a new version adds a second app instead of
// updating the first. Never change this value.
var teamsAppNamespace = uuid.MustParse("5e0c4f62-7b1e-4d0a-9a57-3a1f0c6b2d11")

// teamsZipTime is the timestamp of every zip entry, so that the same flags
// give the same bytes: a package can be rebuilt and compared, not trusted.
var teamsZipTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The schema's own patterns, checked here so a bad flag is an error at the
// terminal rather than a rejected upload in the Teams admin center.
var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)
	semverRE = regexp.MustCompile(`^([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)$`)
	domainRE = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$`)
)

// teamsPackageOptions are the flags of teams-package, checked by validate.
type teamsPackageOptions struct {
	AppID, TeamsAppID, Name, Version, Domain string
	DeveloperName, DeveloperURL, PrivacyURL  string
	TermsURL, Out                            string
	Force                                    bool
}

// cmdTeamsPackage writes the Teams app package an admin uploads: nothing
// in it is secret (the bot's app id is public), so it can be built anywhere.
func cmdTeamsPackage(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o teamsPackageOptions
	fs.StringVar(&o.AppID, "app-id", os.Getenv("TEAMS_APP_ID"), "the Azure Bot's Microsoft App ID, a GUID (or TEAMS_APP_ID)")
	fs.StringVar(&o.TeamsAppID, "teams-app-id", "", "the Teams app id, a GUID (default: derived from --app-id, the same on every run)")
	fs.StringVar(&o.Out, "out", "unlockbot-teams.zip", "the package to write")
	fs.BoolVar(&o.Force, "force", false, "replace --out if it exists")
	fs.StringVar(&o.Name, "name", "unlockbot", "the app's name in Teams (at most 30 characters)")
	fs.StringVar(&o.Version, "version", "1.0.0", "the package version, x.y.z; raise it for every upload that replaces an earlier one")
	fs.StringVar(&o.Domain, "domain", "", "the bot's host name, listed in validDomains (optional)")
	fs.StringVar(&o.DeveloperName, "developer-name", "unlockbot", "the publisher shown in Teams (at most 32 characters)")
	fs.StringVar(&o.DeveloperURL, "developer-url", teamsDocsURL, "https:// page about the app")
	fs.StringVar(&o.PrivacyURL, "privacy-url", "", "https:// privacy statement (default: --developer-url)")
	fs.StringVar(&o.TermsURL, "terms-url", "", "https:// terms of use (default: --developer-url)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("teams-package: unexpected argument %q; every setting is a flag (see unlockbot teams-package -h)", fs.Arg(0))
	}
	if err := o.validate(); err != nil {
		return err
	}
	if err := noClobber(o.Out, o.Force); err != nil {
		return err
	}
	pkg, err := buildTeamsPackage(o)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.Out, pkg, o.Force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: Teams app %s (version %s) for bot %s\n", o.Out, o.TeamsAppID, o.Version, o.AppID)
	fmt.Fprintln(stdout, "upload it in the Teams admin center (Teams apps → Manage apps → Upload new app), then add the app to your helpdesk team; see docs/teams.md")
	return nil
}

// validate checks the flags against the rules the manifest schema enforces
// and fills in the defaults that depend on other flags.
func (o *teamsPackageOptions) validate() error {
	o.AppID = strings.TrimSpace(o.AppID)
	if o.AppID == "" {
		return errors.New("teams-package: --app-id is required: the Azure Bot's Microsoft App ID (Azure portal → the bot → Configuration)")
	}
	if !guidRE.MatchString(o.AppID) {
		return fmt.Errorf("teams-package: --app-id %q is not a GUID; copy the Microsoft App ID from the Azure Bot's Configuration page (like 00000000-0000-0000-0000-000000000000)", o.AppID)
	}
	o.AppID = strings.ToLower(o.AppID)
	if o.TeamsAppID == "" {
		o.TeamsAppID = uuid.NewSHA1(teamsAppNamespace, []byte(o.AppID)).String()
	} else if !guidRE.MatchString(o.TeamsAppID) {
		return fmt.Errorf("teams-package: --teams-app-id %q is not a GUID", o.TeamsAppID)
	}
	o.TeamsAppID = strings.ToLower(o.TeamsAppID)
	if n := utf8.RuneCountInString(o.Name); n == 0 || n > 30 {
		return fmt.Errorf("teams-package: --name must be 1 to 30 characters (Teams' limit), not %d", n)
	}
	if n := utf8.RuneCountInString(o.DeveloperName); n == 0 || n > 32 {
		return fmt.Errorf("teams-package: --developer-name must be 1 to 32 characters (Teams' limit), not %d", n)
	}
	if !semverRE.MatchString(o.Version) {
		return fmt.Errorf("teams-package: --version %q must be three numbers like 1.0.0", o.Version)
	}
	if o.Domain != "" && !domainRE.MatchString(o.Domain) {
		return fmt.Errorf("teams-package: --domain %q must be a host name such as bot.example.com, without https:// or a path", o.Domain)
	}
	if o.PrivacyURL == "" {
		o.PrivacyURL = o.DeveloperURL
	}
	if o.TermsURL == "" {
		o.TermsURL = o.DeveloperURL
	}
	// In the order they are derived: a bad --developer-url is named as
	// itself, not as the other two that default to it.
	for _, f := range []struct{ flagName, v string }{{"--developer-url", o.DeveloperURL}, {"--privacy-url", o.PrivacyURL}, {"--terms-url", o.TermsURL}} {
		flagName, v := f.flagName, f.v
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 2048 {
			return fmt.Errorf("teams-package: %s %q must be an https:// URL (Teams refuses others)", flagName, v)
		}
	}
	return nil
}

// noClobber refuses an existing --out before anything is built, so the
// operator learns it at once; writeFileAtomic checks again at the rename.
func noClobber(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("teams-package: %s already exists; pass --force to replace it", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("teams-package: cannot check %s: %w", path, err)
	}
	return nil
}

// teamsManifest is manifest.json. Field order is the JSON order, and the
// struct has only what this bot declares: the schema forbids unknown keys.
type teamsManifest struct {
	Schema          string            `json:"$schema"`
	ManifestVersion string            `json:"manifestVersion"`
	Version         string            `json:"version"`
	ID              string            `json:"id"`
	Developer       teamsDeveloper    `json:"developer"`
	Name            teamsShortFull    `json:"name"`
	Description     teamsShortFull    `json:"description"`
	Icons           map[string]string `json:"icons"`
	AccentColor     string            `json:"accentColor"`
	Bots            []teamsBot        `json:"bots"`
	Permissions     []string          `json:"permissions"`
	ValidDomains    []string          `json:"validDomains"`
}

type teamsDeveloper struct {
	Name          string `json:"name"`
	WebsiteURL    string `json:"websiteUrl"`
	PrivacyURL    string `json:"privacyUrl"`
	TermsOfUseURL string `json:"termsOfUseUrl"`
}

type teamsShortFull struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type teamsBot struct {
	BotID              string             `json:"botId"`
	Scopes             []string           `json:"scopes"`
	IsNotificationOnly bool               `json:"isNotificationOnly"`
	SupportsFiles      bool               `json:"supportsFiles"`
	CommandLists       []teamsCommandList `json:"commandLists"`
}
