package export

import (
	"encoding/xml"
	"fmt"
	"slices"

	"concord/annotate"
)

// LabelStudioConfig returns the Label Studio labelling configuration (XML)
// that the label-studio JSONL shape fits, for the schema's dimensions or
// only those named in dims: a Text named "text" holding the paragraph, and
// per dimension a header with its title (and stance target), then a Choices
// named after it for a single or multi dimension — whose choices show the
// option names and store the option keys, with Concord's hotkeys and
// guidelines — or a TextArea for an open one. Required dimensions are
// required in Label Studio too.
func LabelStudioConfig(sc *annotate.Schema, dims []string) ([]byte, error) {
	for _, name := range dims {
		if _, ok := sc.Dimension(name); !ok {
			return nil, &annotate.Error{Code: annotate.EINVALID, Field: "dimensions", Message: fmt.Sprintf("unknown dimension %q", name), Allowed: sc.Names()}
		}
	}
	view := lsView{Text: lsText{Name: "text", Value: "$text"}}
	for i := range sc.Dimensions {
		d := &sc.Dimensions[i]
		if len(dims) > 0 && !slices.Contains(dims, d.Name) {
			continue
		}
		header := d.Title
		if d.Target != "" {
			header = fmt.Sprintf("%s toward: %s", d.Title, d.Target)
		}
		view.Items = append(view.Items, lsHeader{Value: header, Size: "5"})
		if d.Kind == annotate.KindOpen {
			known := d.Keys()
			placeholder := "One value"
			if len(known) > 0 {
				placeholder = "One value, such as " + joinFirst(known, 5)
			}
			view.Items = append(view.Items, lsTextArea{Name: d.Name, ToName: "text", MaxSubmissions: "1", Editable: "true", Required: boolAttr(d.Required), Placeholder: placeholder})
			continue
		}
		choice := "single"
		if d.Kind == annotate.KindMulti {
			choice = "multiple"
		}
		c := lsChoices{Name: d.Name, ToName: "text", Choice: choice, ShowInline: "true", Required: boolAttr(d.Required)}
		for _, o := range d.Options {
			c.Options = append(c.Options, lsChoice{Value: o.Name, Alias: o.Key, Hotkey: o.Hotkey, Hint: o.Guideline})
		}
		view.Items = append(view.Items, c)
	}
	out, err := xml.MarshalIndent(view, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// joinFirst joins the first n values with commas, and says how many more
// there are.
func joinFirst(values []string, n int) string {
	s := ""
	for i, v := range values {
		if i == n {
			return s + fmt.Sprintf(" or %d more", len(values)-n)
		}
		if i > 0 {
			s += ", "
		}
		s += v
	}
	return s
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return ""
}

type lsView struct {
	XMLName xml.Name `xml:"View"`
	Text    lsText
	Items   []any
}

type lsText struct {
	XMLName xml.Name `xml:"Text"`
	Name    string   `xml:"name,attr"`
	Value   string   `xml:"value,attr"`
}

type lsHeader struct {
	XMLName xml.Name `xml:"Header"`
	Value   string   `xml:"value,attr"`
	Size    string   `xml:"size,attr,omitempty"`
}

type lsChoices struct {
	XMLName    xml.Name `xml:"Choices"`
	Name       string   `xml:"name,attr"`
	ToName     string   `xml:"toName,attr"`
	Choice     string   `xml:"choice,attr"`
	ShowInline string   `xml:"showInline,attr,omitempty"`
	Required   string   `xml:"required,attr,omitempty"`
	Options    []lsChoice
}

type lsChoice struct {
	XMLName xml.Name `xml:"Choice"`
	Value   string   `xml:"value,attr"`
	Alias   string   `xml:"alias,attr"`
	Hotkey  string   `xml:"hotkey,attr,omitempty"`
	Hint    string   `xml:"hint,attr,omitempty"`
}

type lsTextArea struct {
	XMLName        xml.Name `xml:"TextArea"`
	Name           string   `xml:"name,attr"`
	ToName         string   `xml:"toName,attr"`
	MaxSubmissions string   `xml:"maxSubmissions,attr"`
	Editable       string   `xml:"editable,attr"`
	Required       string   `xml:"required,attr,omitempty"`
	Placeholder    string   `xml:"placeholder,attr,omitempty"`
}
