package teams_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/bot"
)

// cardRead is an Adaptive Card as a person reads it: markup undone,
// mentions named by role, inputs and the actions a client would send.
type cardRead struct {
	msg          adaptertest.Message
	inputs       []adaptertest.Input
	rawInputs    []element
	submit       *execute // the first Action.Execute that sends inputs
	refresh      *execute
	refreshUsers []string
	errors       map[bot.FieldID]string // attention text right under an input
}

func (c cardRead) input(id bot.FieldID) (adaptertest.Input, bool) {
	for _, in := range c.inputs {
		if in.ID == id {
			return in, true
		}
	}
	return adaptertest.Input{}, false
}

type execute struct {
	Type             string         `json:"type"`
	Verb             string         `json:"verb"`
	Title            string         `json:"title"`
	Data             map[string]any `json:"data"`
	AssociatedInputs string         `json:"associatedInputs"`
}

type element struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Text     string `json:"text"`
	Weight   string `json:"weight"`
	Size     string `json:"size"`
	Color    string `json:"color"`
	Label    string `json:"label"`
	Title    string `json:"title"`
	Value    any    `json:"value"`
	ValueOn  string `json:"valueOn"`
	ValueOff string `json:"valueOff"`
	Facts    []struct{ Title, Value string }
	Items    []element `json:"items"`
	Columns  []element `json:"columns"`
	Actions  []execute `json:"actions"`
	Choices  []struct{ Title, Value string }
	Inlines  []struct{ Type, Text string } `json:"inlines"`
}

type adaptiveCard struct {
	Type    string    `json:"type"`
	Body    []element `json:"body"`
	Actions []execute `json:"actions"`
	Refresh *struct {
		Action  execute  `json:"action"`
		UserIDs []string `json:"userIds"`
	} `json:"refresh"`
	MSTeams struct {
		Entities []struct {
			Text      string `json:"text"`
			Mentioned struct{ ID, Name string }
		} `json:"entities"`
	} `json:"msteams"`
}

var atRE = regexp.MustCompile(`<at>(.*?)</at>`)

func readCard(t *testing.T, raw json.RawMessage, roles map[string]string) cardRead {
	t.Helper()
	var ac adaptiveCard
	if err := json.Unmarshal(raw, &ac); err != nil || ac.Type != "AdaptiveCard" {
		t.Fatalf("not an Adaptive Card (%v): %s", err, raw)
	}
	mentions := map[string]string{}
	for _, e := range ac.MSTeams.Entities {
		name := e.Mentioned.Name
		if r, ok := roles[e.Mentioned.ID]; ok {
			name = r
		}
		mentions[e.Text] = name
	}
	human := func(s string) string {
		return atRE.ReplaceAllStringFunc(s, func(m string) string {
			if n, ok := mentions[m]; ok {
				return n
			}
			return atRE.FindStringSubmatch(m)[1]
		})
	}
	rc := cardRead{errors: map[bot.FieldID]string{}}
	var lines []string
	lastInput := ""
	var walk func([]element)
	walk = func(els []element) {
		for _, e := range els {
			switch {
			case e.Type == "TextBlock":
				txt := human(e.Text)
				switch {
				case strings.EqualFold(e.Color, "attention") && lastInput != "":
					rc.errors[bot.FieldID(lastInput)] = txt
				case rc.msg.Title == "" && strings.EqualFold(e.Weight, "bolder"):
					rc.msg.Title = txt
				default:
					lines = append(lines, txt)
				}
			case e.Type == "RichTextBlock":
				for _, in := range e.Inlines {
					lines = append(lines, human(in.Text))
				}
			case e.Type == "FactSet":
				for _, f := range e.Facts {
					rc.msg.Fields = append(rc.msg.Fields, adaptertest.Field{Label: human(f.Title), Value: human(f.Value)})
				}
			case strings.HasPrefix(e.Type, "Input."):
				lastInput = e.ID
				rc.rawInputs = append(rc.rawInputs, e)
				in := adaptertest.Input{ID: bot.FieldID(e.ID), Label: e.Label}
				v, _ := e.Value.(string)
				if e.Type == "Input.Toggle" {
					if v != "" && v == e.ValueOn {
						v = "true"
					} else {
						v = ""
					}
				}
				in.Initial = v
				rc.inputs = append(rc.inputs, in)
			case e.Type == "ActionSet":
				rc.addActions(e.Actions, human)
			}
			walk(e.Items)
			walk(e.Columns)
		}
	}
	walk(ac.Body)
	rc.addActions(ac.Actions, human)
	rc.msg.Text = strings.Join(lines, "\n")
	if ac.Refresh != nil {
		a := ac.Refresh.Action
		rc.refresh, rc.refreshUsers = &a, ac.Refresh.UserIDs
	}
	return rc
}

func (rc *cardRead) addActions(acts []execute, human func(string) string) {
	for i, a := range acts {
		if a.Type != "Action.Execute" {
			continue
		}
		if rc.submit == nil && !strings.EqualFold(a.AssociatedInputs, "none") && len(rc.rawInputs) > 0 {
			rc.submit = &acts[i]
		}
		req, _ := a.Data["request"].(string)
		rc.msg.Buttons = append(rc.msg.Buttons, adaptertest.Button{Action: bot.ActionID(a.Verb), RequestID: req, Label: human(a.Title)})
	}
}
