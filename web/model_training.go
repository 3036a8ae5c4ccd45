package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// registerTrainingRoutes registers the built-in model's training (admins)
// and the likely label errors it finds (reviewers).
func (s *Server) registerTrainingRoutes() {
	admin := s.requireRole(annotate.RoleAdmin)
	reviewer := s.requireRole(annotate.RoleReviewer)
	s.engine.POST("/api/v1/model/train", admin, s.startTraining)
	s.engine.GET("/api/v1/model/runs", reviewer, s.listModelRuns)
	s.engine.GET("/api/v1/label-errors", reviewer, s.listLabelErrors)
	s.engine.GET("/admin/model", admin, s.showAdminModel)
	s.engine.POST("/admin/model/train", admin, s.submitTraining)
	s.engine.POST("/admin/model/settings", admin, s.submitTrainEvery)
	s.engine.GET("/review/label-errors", reviewer, s.showLabelErrors)
}

// trainRequest is the body of POST /api/v1/model/train; every field is
// optional.
type trainRequest struct {
	Dimension     string   `json:"dimension"`
	Folds         int      `json:"folds"`
	MinConfidence *float64 `json:"min_confidence"`
}

// trainOptions checks a training request against the schema before the
// run starts, so that a wrong dimension is a 400 rather than a failed run.
func (s *Server) trainOptions(c *gin.Context, req trainRequest, by int64, trigger string) (annotate.TrainOptions, error) {
	opt := annotate.TrainOptions{Dimension: strings.TrimSpace(req.Dimension), Folds: req.Folds, Trigger: trigger, By: by}
	if req.Folds != 0 && (req.Folds < 2 || req.Folds > 20) {
		return opt, annotate.Invalidf("folds", "folds must be from 2 to 20, got %d", req.Folds)
	}
	if req.MinConfidence != nil {
		if *req.MinConfidence < 0 || *req.MinConfidence > 1 {
			return opt, annotate.Invalidf("min_confidence", "min_confidence must be from 0 to 1, got %v", *req.MinConfidence)
		}
		opt.MinConfidence = *req.MinConfidence
	}
	if opt.Dimension != "" {
		sc, err := s.store.Schema(c.Request.Context())
		if err != nil {
			return opt, err
		}
		d, ok := sc.Dimension(opt.Dimension)
		if !ok {
			return opt, annotate.Invalidf("dimension", "the schema has no dimension %q", opt.Dimension)
		}
		if d.Kind != annotate.KindSingle && d.Kind != annotate.KindMulti {
			return opt, annotate.Invalidf("dimension", "dimension %q is open (free text); the model learns single-choice and multi-label dimensions", opt.Dimension)
		}
	}
	return opt, nil
}

// startTraining starts a training run in the background: 202 at once,
// 409 when one is under way.
func (s *Server) startTraining(c *gin.Context) {
	var req trainRequest
	if c.Request.ContentLength != 0 {
		if err := s.bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	opt, err := s.trainOptions(c, req, currentUser(c).ID, annotate.TriggerAdmin)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.cfg.Trainer.Start(opt); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"started": true, "runs": "/api/v1/model/runs"})
}

// listModelRuns answers one page of training runs, newest first, with
// whether this server is training now.
func (s *Server) listModelRuns(c *gin.Context) {
	q, err := listQuery(c, annotate.DefaultRunLimit, annotate.MaxRunLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	runs, next, err := s.store.ModelRuns(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	every, err := s.store.TrainEvery(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"runs": runs, "trainer": s.cfg.Trainer.Status(), "train_every": every}, next))
}

// listLabelErrors answers one page of a dimension's likely label errors.
func (s *Server) listLabelErrors(c *gin.Context) {
	dim := c.Query("dimension")
	if dim == "" {
		s.fail(c, annotate.Invalidf("dimension", "give ?dimension=, the dimension whose labels to check"))
		return
	}
	q, err := listQuery(c, annotate.DefaultIssueLimit, annotate.MaxIssueLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.store.LabelIssues(c.Request.Context(), dim, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withNext(gin.H{"run": page.Run, "paragraphs": page.Issues}, page.Next))
}

// adminModelPage is the data of the built-in model's admin page.
type adminModelPage struct {
	Trainer    annotate.TrainerStatus
	TrainEvery int
	Latest     []annotate.ModelRun
	Runs       []annotate.ModelRun
	Next       int64
}

// showAdminModel shows the built-in model: the latest figures per
// dimension, the runs, the button and the background setting.
func (s *Server) showAdminModel(c *gin.Context) {
	s.renderAdminModel(c, http.StatusOK, Page{})
}

func (s *Server) renderAdminModel(c *gin.Context, st int, p Page) {
	ctx := c.Request.Context()
	q, err := listQuery(c, annotate.DefaultRunLimit, annotate.MaxRunLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	runs, next, err := s.store.ModelRuns(ctx, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	latest, err := s.latestRuns(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	every, err := s.store.TrainEvery(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Data = &adminModelPage{Trainer: s.cfg.Trainer.Status(), TrainEvery: every, Latest: latest, Runs: runs, Next: next}
	s.render(c, st, "admin_model", p)
}

// latestRuns is each dimension's newest finished run, in schema order.
func (s *Server) latestRuns(c *gin.Context) ([]annotate.ModelRun, error) {
	ctx := c.Request.Context()
	byDim, err := s.store.LatestModelRuns(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	var out []annotate.ModelRun
	for _, d := range sc.Dimensions {
		if r, ok := byDim[d.Name]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// submitTraining is the page's "Train now" button.
func (s *Server) submitTraining(c *gin.Context) {
	opt, err := s.trainOptions(c, trainRequest{Dimension: c.PostForm("dimension")}, currentUser(c).ID, annotate.TriggerAdmin)
	if err == nil {
		_, err = s.cfg.Trainer.Start(opt)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminModel(c, st, Page{Error: msg})
		return
	}
	redirectFlash(c, "/admin/model", "Training started. It runs in the background; reload this page to see the figures when it ends.")
}

// submitTrainEvery saves how many new labels start a background run.
func (s *Server) submitTrainEvery(c *gin.Context) {
	raw := strings.TrimSpace(c.PostForm("train_every"))
	n, err := strconv.Atoi(raw)
	if err != nil {
		err = annotate.Invalidf(annotate.SettingTrainEvery, "train_every must be a whole number of labels (0 for never), got %q", raw)
	} else {
		err = s.store.SetTrainEvery(c.Request.Context(), currentUser(c).ID, n)
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		s.renderAdminModel(c, st, Page{Error: msg})
		return
	}
	msg := fmt.Sprintf("The model now retrains after every %d new labels.", n)
	if n == 0 {
		msg = "The model now trains only when you press Train now."
	}
	redirectFlash(c, "/admin/model", msg)
}

// labelErrorsPage is the data of the reviewer's "Likely label errors"
// queue.
type labelErrorsPage struct {
	Dimensions []string
	Dimension  string
	Page       *annotate.LabelIssuePage
	// Missing says why there is no ranking for the dimension yet.
	Missing string
}

// showLabelErrors shows one page of a dimension's likely label errors.
func (s *Server) showLabelErrors(c *gin.Context) {
	ctx := c.Request.Context()
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &labelErrorsPage{}
	for _, d := range sc.Dimensions {
		if d.Kind == annotate.KindSingle || d.Kind == annotate.KindMulti {
			data.Dimensions = append(data.Dimensions, d.Name)
		}
	}
	data.Dimension = c.Query("dimension")
	if data.Dimension == "" && len(data.Dimensions) > 0 {
		data.Dimension = data.Dimensions[0]
	}
	q, err := listQuery(c, annotate.DefaultIssueLimit, annotate.MaxIssueLimit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if data.Dimension != "" {
		page, err := s.store.LabelIssues(ctx, data.Dimension, q)
		switch {
		case errors.Is(err, annotate.ErrNotFound):
			data.Missing = err.Error()
		case err != nil:
			s.fail(c, err)
			return
		default:
			data.Page = page
		}
	}
	s.render(c, http.StatusOK, "review_label_errors", data)
}
