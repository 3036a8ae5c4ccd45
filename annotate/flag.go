package annotate

import (
	"context"
	"sort"
	"time"
)

// UserFlag is one user's flag on a paragraph: their suggestion that it is a
// duplicate, boilerplate or not relevant, with their own reason. Every
// user's flag of a kind feeds the one Curation of that kind, which a
// reviewer confirms or dismisses; the UserFlag stays the flagger's own, so
// that annotators never see each other's reasons and a flag takes the
// paragraph out of its flagger's queue only.
type UserFlag struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;uniqueIndex:idx_user_flag" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	UserID      int64      `gorm:"not null;uniqueIndex:idx_user_flag;index" json:"user_id"`
	Kind        string     `gorm:"size:20;not null;uniqueIndex:idx_user_flag" json:"kind"`
	Reason      string     `gorm:"size:1000" json:"reason"`
	CreatedAt   time.Time  `json:"created_at"`
}

func init() { models = append(models, &UserFlag{}) }

// ownFlagSQL is the condition, on a paragraphs row p and a user id, that the
// user flagged the paragraph and no reviewer dismissed that flag: such a
// paragraph is out of that user's queue (and only theirs).
const ownFlagSQL = `EXISTS (SELECT 1 FROM user_flags uf JOIN curations uc ON uc.paragraph_id = uf.paragraph_id AND uc.kind = uf.kind
WHERE uf.paragraph_id = p.id AND uf.user_id = ? AND uc.status <> 'dismissed')`

// OwnFlags returns the curation flags one annotator may see on the given
// paragraphs, by paragraph id: their own flags, each with their own reason
// and the status a reviewer gave its kind, and the flags a reviewer
// confirmed, with their kind and status only. Other annotators' flags,
// reasons and names, and suggestions nobody has decided, are left out;
// curation ids too, since deciding is for reviewers.
func (s *Store) OwnFlags(ctx context.Context, userID int64, paragraphIDs []int64) (map[int64][]Curation, error) {
	out := map[int64][]Curation{}
	if len(paragraphIDs) == 0 {
		return out, nil
	}
	db := s.read(ctx)
	var mine []UserFlag
	if err := db.Where("user_id = ? AND paragraph_id IN ?", userID, paragraphIDs).Find(&mine).Error; err != nil {
		return nil, translate(err)
	}
	var cs []Curation
	if err := db.Where("paragraph_id IN ?", paragraphIDs).Find(&cs).Error; err != nil {
		return nil, translate(err)
	}
	type key struct {
		p    int64
		kind string
	}
	status := make(map[key]string, len(cs))
	for _, c := range cs {
		status[key{c.ParagraphID, c.Kind}] = c.Status
	}
	seen := map[key]bool{}
	uid := userID
	for _, f := range mine {
		k := key{f.ParagraphID, f.Kind}
		st := status[k]
		if st == "" {
			st = StatusSuggested
		}
		seen[k] = true
		out[f.ParagraphID] = append(out[f.ParagraphID], Curation{ParagraphID: f.ParagraphID, Kind: f.Kind, Status: st, Reason: f.Reason, FlaggedBy: &uid, CreatedAt: f.CreatedAt})
	}
	for _, c := range cs {
		if k := (key{c.ParagraphID, c.Kind}); c.Status == StatusConfirmed && !seen[k] {
			out[c.ParagraphID] = append(out[c.ParagraphID], Curation{ParagraphID: c.ParagraphID, Kind: c.Kind, Status: c.Status, DecidedAt: c.DecidedAt, CreatedAt: c.CreatedAt})
		}
	}
	for _, fs := range out {
		sort.Slice(fs, func(i, j int) bool { return fs[i].Kind < fs[j].Kind })
	}
	return out, nil
}
