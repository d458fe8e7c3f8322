package audit

import (
	"bufio"
	"fmt"
	"io"
)

// Broken says where a trail stops being trustworthy: everything before
// Line verified, this record did not.
type Broken struct {
	Source string // file name or stream, for the message
	Line   int    // 1-based line (or entry) number within Source
	Seq    uint64 // the record's sequence number, when it could be read
	Reason string
}

func (b *Broken) Error() string {
	where := fmt.Sprintf("line %d", b.Line)
	if b.Source != "" {
		where = b.Source + " " + where
	}
	if b.Seq != 0 {
		where += fmt.Sprintf(" (seq %d)", b.Seq)
	}
	return where + ": " + b.Reason
}

// Verifier checks sealed records in order, across files: feed it every
// line of the oldest file first.
type Verifier struct {
	keys    *Keyring
	at      Link
	chain   string
	started bool
	// Records is how many verified; Anchor is where the first record said
	// its chain came from when it continued an earlier file that was not
	// verified with it (zero when the trail starts at seq 1 or every file
	// was given).
	Records int
	Anchor  Link
}

// NewVerifier starts a verification. When the first record continues an
// earlier trail (after rotation), it is accepted as the start and Anchor
// says what it continues; pass the earlier files first to check the link.
func NewVerifier(keys *Keyring) *Verifier { return &Verifier{keys: keys} }

// At is the last verified record's link.
func (v *Verifier) At() Link { return v.at }

// Next verifies one line; the error is a *Broken without Source and Line.
func (v *Verifier) Next(line []byte) (Record, error) {
	r, err := v.keys.Open(line)
	if err != nil {
		return r, &Broken{Seq: r.Seq, Reason: err.Error()}
	}
	switch {
	case !v.started && r.Seq == 1 && r.Prev == "":
	case !v.started && r.Type == Continued && r.Seq > 1 && r.Prev != "":
		v.Anchor = Link{Seq: r.Seq - 1, Hash: r.Prev}
	case !v.started:
		return r, &Broken{Seq: r.Seq, Reason: "the trail does not begin at its first record: records before it were removed"}
	case r.Chain != v.chain:
		return r, &Broken{Seq: r.Seq, Reason: fmt.Sprintf("record of chain %q inside chain %q: it was copied in from another trail", r.Chain, v.chain)}
	case r.Seq > v.at.Seq+1:
		return r, &Broken{Seq: r.Seq, Reason: fmt.Sprintf("seq %d follows seq %d: %d record(s) before it were removed", r.Seq, v.at.Seq, r.Seq-v.at.Seq-1)}
	case r.Seq <= v.at.Seq:
		return r, &Broken{Seq: r.Seq, Reason: fmt.Sprintf("seq %d follows seq %d: records were reordered or one was inserted", r.Seq, v.at.Seq)}
	case r.Prev != v.at.Hash:
		return r, &Broken{Seq: r.Seq, Reason: "it does not link to the record before it: that record was replaced"}
	}
	v.started = true
	v.chain = r.Chain
	v.at = Link{Seq: r.Seq, Hash: Hash(line)}
	v.Records++
	return r, nil
}

// MaxLine bounds one record; longer lines are reported, not read whole.
const MaxLine = 1 << 20

// Lines feeds every line of rd to fn with its 1-based number; a *Broken
// from fn gets source and line filled in and stops the walk.
func (v *Verifier) Lines(source string, rd io.Reader, fn func(Record) error) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		r, err := v.Next(sc.Bytes())
		if err == nil && fn != nil {
			err = fn(r)
		}
		if err != nil {
			if b, ok := err.(*Broken); ok {
				b.Source, b.Line = source, n
			}
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &Broken{Source: source, Line: n + 1, Reason: "unreadable: " + err.Error()}
	}
	return nil
}
