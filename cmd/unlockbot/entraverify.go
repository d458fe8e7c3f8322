package main

import (
	"strings"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity/entra"
)

// adToGraph maps the AD attribute names an org's policy.verify may use to
// the Microsoft Graph user property Entra Connect syncs each to, so one
// verify block reads the same facts from AD and from Entra ID. Keys are
// lower case: LDAP names are not case-sensitive. Names Graph spells the
// same (mail, department, employeeID, givenName, ...) need no entry.
var adToGraph = map[string]string{
	"mobile": "mobilePhone", "othermailbox": "otherMails", "telephonenumber": "businessPhones",
	"title": "jobTitle", "physicaldeliveryofficename": "officeLocation", "company": "companyName",
	"l": "city", "st": "state", "co": "country", "sn": "surname", "facsimiletelephonenumber": "faxNumber",
}

// graphProperty is the Graph user property an org's attribute name means
// for an entra directory.
func graphProperty(name string) (string, bool) {
	if p, ok := entra.VerifyProperty(name); ok {
		return p, true
	}
	p, ok := adToGraph[strings.ToLower(name)]
	return p, ok
}

// verifyPolicy is the org's policy.verify for the bot, its attribute
// names in the directory's own spelling: for Entra ID the Graph property
// names, the keys entra fills Account.Attributes under. validate refused
// a name with no Graph counterpart, so every name maps here.
func (oc OrgConfig) verifyPolicy() bot.VerifyPolicy {
	p := oc.Policy.Verify.policy()
	if oc.Directory.Kind != "entra" {
		return p
	}
	to := func(a string) string {
		if g, ok := graphProperty(a); ok {
			return g
		}
		return a
	}
	if p.EmailAttribute != "" {
		p.EmailAttribute = to(p.EmailAttribute)
	}
	if p.SMSAttribute == "" {
		p.SMSAttribute = "mobile" // the bot's default is AD's name
	}
	p.SMSAttribute = to(p.SMSAttribute)
	for i := range p.PersonalData {
		p.PersonalData[i].Attribute = to(p.PersonalData[i].Attribute)
	}
	return p
}

// validateEntraAttributes refuses an attribute an Entra ID org cannot read.
func (v VerifyConfig) validateEntraAttributes(k string, bad func(string, string, ...any)) {
	check := func(key, a string) {
		if _, ok := graphProperty(a); a != "" && !ok {
			bad(k+"."+key, "%q has no Microsoft Graph counterpart for an entra directory; use a Graph user property (%s)",
				a, strings.Join(entra.VerifyProperties(), ", "))
		}
	}
	check("email_attribute", v.EmailAttribute)
	check("sms_attribute", v.SMSAttribute)
	for _, f := range v.PersonalData {
		check("personal_data.attribute", f.Attribute)
	}
}
