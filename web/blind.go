package web

import (
	"context"

	"concord/annotate"
)

// Annotation is blind: an annotator sees their own labels, notes, flags,
// skips and typed values, the schema, the values a reviewer accepted, and
// the curation decisions reviewers made, but nothing another annotator
// did. The helpers here cut what the store returns down to that for every
// route that answers annotators; reviewers and admins see everything.

// seesAll reports whether u may see every annotator's work.
func seesAll(u *annotate.User) bool { return u != nil && u.Role.AtLeast(annotate.RoleReviewer) }

// blindContexts replaces, for an annotator, the flags of each paragraph
// context with the ones they may see (annotate.Store.OwnFlags).
func (s *Server) blindContexts(ctx context.Context, u *annotate.User, pcs []*annotate.ParagraphContext) error {
	if seesAll(u) || len(pcs) == 0 {
		return nil
	}
	ids := make([]int64, len(pcs))
	for i, pc := range pcs {
		ids[i] = pc.Paragraph.ID
	}
	own, err := s.store.OwnFlags(ctx, u.ID, ids)
	if err != nil {
		return err
	}
	for _, pc := range pcs {
		pc.Flags = nonNil(own[pc.Paragraph.ID])
	}
	return nil
}

// blindStatuses does for a document's paragraph list what blindContexts
// does for paragraph contexts.
func (s *Server) blindStatuses(ctx context.Context, u *annotate.User, ps []annotate.ParagraphStatus) error {
	if seesAll(u) || len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	own, err := s.store.OwnFlags(ctx, u.ID, ids)
	if err != nil {
		return err
	}
	for i := range ps {
		ps[i].Flags = nonNil(own[ps[i].ID])
	}
	return nil
}

// blindFlag keeps an annotator from the id of the curation their flag
// feeds: deciding it is for reviewers.
func blindFlag(u *annotate.User, f *annotate.Curation) *annotate.Curation {
	if seesAll(u) {
		return f
	}
	c := *f
	c.ID, c.DecidedBy = 0, nil
	return &c
}

// bootOpenValues is how many values of each open dimension a page or the
// schema carries: the most typed ones. The type-ahead asks for the others
// as the user types (suggestOpenValues), so that no answer grows with the
// number of values annotators typed.
const bootOpenValues = 50

// openValuesFor returns, for each open dimension of the schema, the
// bootOpenValues most typed values u is offered (every typed value for
// reviewers and admins, else those a reviewer accepted and those u typed),
// and the dimensions that offer u more (nil when none: pages load the
// script that fetches the others only then).
func (s *Server) openValuesFor(ctx context.Context, sc *annotate.Schema, u *annotate.User) (map[string][]string, map[string]bool, error) {
	open := map[string][]string{}
	var more map[string]bool
	for _, d := range sc.Dimensions {
		if d.Kind != annotate.KindOpen {
			continue
		}
		vs, m, err := s.store.OpenValuesMatching(ctx, d.Name, u.ID, seesAll(u), "", bootOpenValues)
		if err != nil {
			return nil, nil, err
		}
		open[d.Name] = vs
		if m {
			if more == nil {
				more = map[string]bool{}
			}
			more[d.Name] = true
		}
	}
	return open, more, nil
}
