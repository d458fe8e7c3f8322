package main

// The package's contents: the manifest, the padlock icons, the zip written atomically.

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

type teamsCommandList struct {
	Scopes   []string       `json:"scopes"`
	Commands []teamsCommand `json:"commands"`
}

type teamsCommand struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// newTeamsManifest is the manifest for validated options. Scopes are
// personal (the form, the reveal) and team (requests and approvals in
// channels); group chats are left out because no org owns one.
func newTeamsManifest(o teamsPackageOptions) teamsManifest {
	scopes := []string{"personal", "team"}
	domains := []string{}
	if o.Domain != "" {
		domains = append(domains, o.Domain)
	}
	return teamsManifest{
		Schema:          teamsManifestSchema,
		ManifestVersion: teamsManifestVersion,
		Version:         o.Version,
		ID:              o.TeamsAppID,
		Developer: teamsDeveloper{
			Name: o.DeveloperName, WebsiteURL: o.DeveloperURL, PrivacyURL: o.PrivacyURL, TermsOfUseURL: o.TermsURL,
		},
		Name: teamsShortFull{Short: o.Name, Full: o.Name + ": helpdesk account unlock and password reset"},
		Description: teamsShortFull{
			Short: "Unlock accounts and reset passwords, with approval, from Teams.",
			Full: "Helpdesk technicians type \"unlock\" (or \"unlock alice\") to the bot in a personal chat or " +
				"@mention it in a helpdesk channel. The bot opens a form, posts the request to the organization's " +
				"approval channel, and after an approver's Approve unlocks the Active Directory account or resets its " +
				"password. Every step is recorded in the ticket and the audit trail. A generated password is shown " +
				"once, only to the requester, in their personal chat.",
		},
		Icons:       map[string]string{"color": "color.png", "outline": "outline.png"},
		AccentColor: teamsAccent,
		Bots: []teamsBot{{
			BotID:  o.AppID,
			Scopes: scopes,
			CommandLists: []teamsCommandList{{
				Scopes:   scopes,
				Commands: []teamsCommand{{Title: "unlock", Description: "Unlock an account or reset a password: unlock [account]"}},
			}},
		}},
		Permissions:  []string{"identity", "messageTeamMembers"},
		ValidDomains: domains,
	}
}

// buildTeamsPackage is the zip: manifest.json, color.png, outline.png, in
// that order, deflated, every entry stamped teamsZipTime.
func buildTeamsPackage(o teamsPackageOptions) ([]byte, error) {
	manifest, err := json.MarshalIndent(newTeamsManifest(o), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("teams-package: encode manifest: %w", err)
	}
	colorPNG, err := encodePNG(padlockIcon(192, false))
	if err != nil {
		return nil, err
	}
	outlinePNG, err := encodePNG(padlockIcon(32, true))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", append(manifest, '\n')}, {"color.png", colorPNG}, {"outline.png", outlinePNG}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: teamsZipTime})
		if err != nil {
			return nil, fmt.Errorf("teams-package: zip %s: %w", f.name, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, fmt.Errorf("teams-package: zip %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("teams-package: zip: %w", err)
	}
	return buf.Bytes(), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("teams-package: encode icon: %w", err)
	}
	return buf.Bytes(), nil
}

// padlockIcon draws a white padlock: on the accent colour for the colour
// icon, on transparency for the outline icon (which Teams accepts only white
// and transparent). The shape is tested in integer arithmetic on a 1000-unit
// grid, so the pixels cannot differ between CPUs (no float rounding or fused
// multiply-add). The colour icon is anti-aliased with 4×4 samples; the
// outline is one sample a pixel, so every pixel is fully white or fully clear.
func padlockIcon(size int, outline bool) *image.NRGBA {
	samples := 4
	if outline {
		samples = 1
	}
	bg := color.NRGBA{0x2F, 0x54, 0x96, 0xFF} // teamsAccent
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	d := int64(2 * size * samples) // sample coordinates are odd multiples of 1000/d
	for py := range size {
		for px := range size {
			hits := 0
			for sy := range samples {
				for sx := range samples {
					x := int64((px*samples+sx)*2+1) * 1000
					y := int64((py*samples+sy)*2+1) * 1000
					if inPadlock(x, y, d) {
						hits++
					}
				}
			}
			n := samples * samples
			switch {
			case outline && hits > 0:
				img.SetNRGBA(px, py, color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF})
			case outline:
				// left as zero: fully transparent
			default:
				mix := func(c uint8) uint8 { return uint8((int(c)*(n-hits) + 0xFF*hits + n/2) / n) }
				img.SetNRGBA(px, py, color.NRGBA{mix(bg.R), mix(bg.G), mix(bg.B), 0xFF})
			}
		}
	}
	return img
}

// inPadlock reports whether the point (x/d, y/d) of the unit square, times
// 1000, lies on the padlock: a shackle (the upper half of a ring and its two
// legs) over a rounded body with a keyhole cut out. Design units are
// thousandths of the icon's width.
func inPadlock(x, y, d int64) bool {
	u := func(v int64) int64 { return v * d } // design units → sample scale
	inRect := func(x0, y0, x1, y1 int64) bool { return x >= u(x0) && x <= u(x1) && y >= u(y0) && y <= u(y1) }
	inCircle := func(cx, cy, r int64) bool {
		dx, dy := x-u(cx), y-u(cy)
		return dx*dx+dy*dy <= u(r)*u(r)
	}
	// The keyhole: a round head and a slot below it.
	if inCircle(500, 610, 70) || inRect(465, 610, 535, 760) {
		return false
	}
	// The body: 600 wide, 420 high, corners rounded with radius 60.
	if inRect(200, 440, 800, 860) {
		for _, c := range [][2]int64{{260, 500}, {740, 500}, {260, 800}, {740, 800}} {
			cornerX := (c[0] < 500 && x < u(c[0])) || (c[0] > 500 && x > u(c[0]))
			cornerY := (c[1] < 650 && y < u(c[1])) || (c[1] > 650 && y > u(c[1]))
			if cornerX && cornerY && !inCircle(c[0], c[1], 60) {
				return false
			}
		}
		return true
	}
	// The shackle: a ring 90 thick around (500, 330), upper half, and legs
	// down into the body.
	if y <= u(330) {
		return inCircle(500, 330, 220) && !inCircle(500, 330, 130)
	}
	return inRect(280, 330, 370, 440) || inRect(630, 330, 720, 440)
}

// writeFileAtomic writes data to a temporary file beside path and moves it
// into place, so a failure leaves either nothing or the old file, never half a
// package. Without force, a hard link makes the final step fail if path has
// appeared meanwhile; where links are not supported it falls back to rename.
func writeFileAtomic(path string, data []byte, force bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("teams-package: cannot write beside %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("teams-package: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("teams-package: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("teams-package: write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("teams-package: write %s: %w", path, err)
	}
	if force {
		if err = os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("teams-package: write %s: %w", path, err)
		}
		return nil
	}
	if lerr := os.Link(tmp.Name(), path); lerr == nil {
		os.Remove(tmp.Name())
		return nil
	} else if errors.Is(lerr, os.ErrExist) {
		err = fmt.Errorf("teams-package: %s already exists; pass --force to replace it", path)
		return err
	}
	if err = noClobber(path, false); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("teams-package: write %s: %w", path, err)
	}
	return nil
}
