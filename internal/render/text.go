package render

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

// TextOptions controls the text rendering.
type TextOptions struct {
	// Color adds ANSI colors. Callers set it only for a terminal that has
	// not asked for NO_COLOR; the plan itself never holds colors.
	Color bool
}

// ANSI SGR codes used by the text rendering.
const (
	sgrBold   = "1"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
	sgrCyan   = "36"
	sgrWiden  = "1;33"
)

// painter wraps text in ANSI color codes when on.
type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) mark(m string) string {
	switch m {
	case "+":
		return p.paint(sgrGreen, m)
	case "-":
		return p.paint(sgrRed, m)
	case "~":
		return p.paint(sgrYellow, m)
	}
	return m
}

func (p painter) effect(e plan.Effect) string {
	m := effectMarker(e)
	switch e {
	case plan.Widen:
		return p.paint(sgrWiden, m)
	case plan.Narrow:
		return p.paint(sgrCyan, m)
	}
	return m
}

// Text writes the plan for a terminal: the organization, one block per
// change in the order apply runs them, the protected and pending trusts,
// warnings, and finally `Plan: N to add, N to change, N to remove.` or
// `No changes. Live state matches the configuration.`
func Text(w io.Writer, p *plan.Plan, opts TextOptions) error {
	if err := p.Check(); err != nil {
		return fmt.Errorf("render plan: %w", err)
	}
	pt := painter{on: opts.Color}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }

	line(pt.paint(sgrBold, "Organization:") + " " + named(p.Organization.Name, p.Organization.ID))
	line("")
	if len(p.Changes) > 0 {
		line(pt.paint(sgrBold, "Changes, in the order apply runs them") + " (" +
			pt.mark("+") + " add, " + pt.mark("~") + " change, " + pt.mark("-") + " remove):")
		line("")
		for _, c := range p.Changes {
			for _, l := range changeBlock(c, pt, true) {
				line(l)
			}
			line("")
		}
	}
	if len(p.Protected) > 0 {
		line(pt.paint(sgrBold, "Protected (left unchanged):"))
		for _, pr := range p.Protected {
			for _, l := range wrap("  "+pr.Address+": ", "      ", protectedText(pr), width) {
				line(l)
			}
		}
		line("")
	}
	if len(p.Pending) > 0 {
		line(pt.paint(sgrBold, "Pending (waiting for the other org):"))
		for _, pe := range p.Pending {
			for _, l := range wrap("  "+pe.Address+": ", "      ", pe.Message, width) {
				line(l)
			}
		}
		line("")
	}
	if len(p.Warnings) > 0 {
		line(pt.paint(sgrBold, "Warnings:"))
		for _, wa := range p.Warnings {
			wa.Severity = diag.Warning
			for i, l := range wrap("  ", "      ", wa.String(), width) {
				if i == 0 && pt.on {
					l = strings.Replace(l, "warning:", pt.paint(sgrYellow, "warning:"), 1)
				}
				line(l)
			}
			for _, h := range wa.Hints {
				for _, l := range wrap("    hint: ", "      ", h, width) {
					line(l)
				}
			}
		}
		line("")
	}
	if len(p.Changes) > 0 {
		line(effectCounts(p))
	}
	line(pt.paint(sgrBold, summaryLine(p)))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write text plan: %w", err)
	}
	return nil
}

// summaryLine is the last line of a text plan.
func summaryLine(p *plan.Plan) string {
	if !p.HasChanges() {
		return "No changes. Live state matches the configuration."
	}
	s := p.Summary()
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to remove.", s.Add, s.Change, s.Remove)
}

// effects counts changes by effect.
type effects struct{ widen, narrow, neutral int }

func countEffects(cs []plan.Change) effects {
	var e effects
	for _, c := range cs {
		switch c.Effect {
		case plan.Widen:
			e.widen++
		case plan.Narrow:
			e.narrow++
		default:
			e.neutral++
		}
	}
	return e
}

func effectCounts(p *plan.Plan) string {
	e := countEffects(p.Changes)
	s := fmt.Sprintf("Access: %s widen%s it, %s narrow%s it",
		changesWord(e.widen), verbS(e.widen), changesWord(e.narrow), verbS(e.narrow))
	if e.neutral > 0 {
		s += fmt.Sprintf(", %s leave%s it as is", changesWord(e.neutral), verbS(e.neutral))
	}
	return s + "."
}

func changesWord(n int) string {
	if n == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", n)
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// changeBlock renders one change: a header with the action symbol, address
// and effect marker, the verb and reason, and (with detail) the
// field-level detail.
func changeBlock(c plan.Change, pt painter, detail bool) []string {
	var lines []string
	head := Symbol(c.Action) + " " + c.Address
	marker := effectMarker(c.Effect)
	inline := marker != "" && utf8.RuneCountInString(head)+2+utf8.RuneCountInString(marker) <= width
	h := pt.mark(Symbol(c.Action)) + " " + pt.paint(sgrBold, c.Address)
	if inline {
		h += "  " + pt.effect(c.Effect)
	}
	lines = append(lines, h)
	if marker != "" && !inline {
		lines = append(lines, "    "+pt.effect(c.Effect))
	}
	v := verb(c.Kind, c.Action)
	if c.Reason == "" {
		lines = append(lines, "    "+v)
	} else {
		lines = append(lines, wrap("    "+v+": ", "      ", c.Reason, width)...)
	}
	if !detail {
		return lines
	}
	fields := details(c)
	lw := 0
	for _, f := range fields {
		if f.items == nil {
			lw = max(lw, len(f.label))
		}
	}
	// emit adds text after first, wrapped to the width with rest before
	// continuation lines; plain is first without color codes.
	emit := func(first, plain, rest, text string) {
		for i, l := range wrap(plain, rest, text, width) {
			if i == 0 {
				l = first + strings.TrimPrefix(l, plain)
			}
			lines = append(lines, l)
		}
	}
	for _, f := range fields {
		if f.items != nil {
			lines = append(lines, "    "+f.label+":")
			for _, it := range f.items {
				emit("      "+pt.mark(it.mark)+" ", "      "+it.mark+" ", "        ", it.text)
				for _, in := range it.inner {
					emit("          "+pt.mark(in.mark)+" ", "          "+in.mark+" ", "            ", in.text)
				}
			}
			continue
		}
		prefix := "    " + f.label + ":" + strings.Repeat(" ", lw-len(f.label)+1)
		indent := strings.Repeat(" ", len(prefix))
		old, now, isChange := strings.Cut(f.value, " → ")
		if isChange && utf8.RuneCountInString(prefix+f.value) > width {
			emit(prefix, prefix, indent, old)
			arrow := strings.Repeat(" ", len(prefix)-2) + "→ "
			emit(arrow, arrow, indent, now)
			continue
		}
		emit(prefix, prefix, indent, f.value)
	}
	return lines
}
