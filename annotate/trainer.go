package annotate

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
)

// SettingTrainEvery is the setting that holds how many new labels start a
// background training run (0: never).
const SettingTrainEvery = "train_every"

// DefaultTrainEvery is the number of new labels, gold or annotations,
// after which the server retrains the built-in model until an admin says
// otherwise.
const DefaultTrainEvery = 200

// MaxTrainEvery bounds the setting.
const MaxTrainEvery = 1_000_000

// TrainEvery returns how many new labels start a background training run;
// 0 means the model is trained only when asked.
func (s *Store) TrainEvery(ctx context.Context) (int, error) {
	var st Setting
	if err := s.read(ctx).Where("name = ?", SettingTrainEvery).Limit(1).Find(&st).Error; err != nil {
		return 0, translate(err)
	}
	n, err := strconv.Atoi(st.Value)
	if st.Value == "" || err != nil {
		return DefaultTrainEvery, nil
	}
	return n, nil
}

// SetTrainEvery sets how many new labels start a background training run
// (0 to MaxTrainEvery; 0 turns the background runs off).
func (s *Store) SetTrainEvery(ctx context.Context, by int64, n int) error {
	if n < 0 || n > MaxTrainEvery {
		return Invalidf(SettingTrainEvery, "train_every must be from 0 (never) to %d labels, got %d", MaxTrainEvery, n)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var old Setting
		if err := tx.Where("name = ?", SettingTrainEvery).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if err := tx.Save(&Setting{Key: SettingTrainEvery, Value: strconv.Itoa(n)}).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "setting", Action: "set", Before: toJSON(map[string]string{SettingTrainEvery: old.Value}), After: toJSON(map[string]int{SettingTrainEvery: n})})
	})
}

// LabelsSince counts the label writes (annotations and gold labels) since
// the store's DataVersion was version, up to limit: it walks the history
// from there, so its cost is bounded by what was written since.
func (s *Store) LabelsSince(ctx context.Context, version int64, limit int) (int, error) {
	var n int
	err := s.read(ctx).Raw("SELECT count(*) FROM (SELECT 1 FROM history WHERE id > ? AND entity IN ? LIMIT ?) AS q",
		version, []string{"annotation", "gold"}, limit).Scan(&n).Error
	return n, translate(err)
}

// Trainer runs the built-in model's training in the background, never in
// a request: the admin's button starts a run and returns, and Run starts
// one whenever TrainEvery new labels have been written since the last.
type Trainer struct {
	store *Store
	log   *slog.Logger
	// ctx is the context runs use; Run replaces the background one with
	// its own, so that a server's shutdown stops them.
	mu      sync.Mutex
	ctx     context.Context
	running bool
	lastErr string
	done    chan struct{}
}

// NewTrainer returns a trainer for the store.
func NewTrainer(store *Store, log *slog.Logger) *Trainer {
	if log == nil {
		log = slog.Default()
	}
	return &Trainer{store: store, log: log, ctx: context.Background()}
}

// TrainerStatus says whether this server is training and how its last
// run ended.
type TrainerStatus struct {
	Running   bool   `json:"running"`
	LastError string `json:"last_error,omitempty"`
}

// Status returns the trainer's state in this server.
func (t *Trainer) Status() TrainerStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return TrainerStatus{Running: t.running, LastError: t.lastErr}
}

// Start begins a training run in the background and returns at once:
// ErrTrainingBusy when this server is training already (another server
// training shows as a run that ends with ErrTrainingBusy in LastError).
// The returned channel closes when the run ends.
func (t *Trainer) Start(opt TrainOptions) (<-chan struct{}, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running {
		return nil, ErrTrainingBusy
	}
	t.running = true
	done := make(chan struct{})
	t.done = done
	ctx := t.ctx
	go func() {
		defer close(done)
		_, err := t.store.Train(ctx, opt)
		t.mu.Lock()
		t.running = false
		t.lastErr = ""
		if err != nil {
			t.lastErr = err.Error()
		}
		t.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			t.log.Warn("training", "trigger", opt.Trigger, "err", err)
		}
	}()
	return done, nil
}

// TrainerPoll is how often Run looks at the number of new labels.
const TrainerPoll = 30 * time.Second

// Run starts a background run whenever TrainEvery new labels have been
// written since the newest run began, until ctx ends; then it waits for
// a run under way to stop.
func (t *Trainer) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = TrainerPoll
	}
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			t.mu.Lock()
			done := t.done
			t.mu.Unlock()
			if done != nil {
				<-done
			}
			return
		case <-tick.C:
			if t.due(ctx) {
				_, _ = t.Start(TrainOptions{Trigger: TriggerAuto})
			}
		}
	}
}

// due says whether enough labels were written since the newest run.
func (t *Trainer) due(ctx context.Context) bool {
	every, err := t.store.TrainEvery(ctx)
	if err != nil || every == 0 {
		return false
	}
	var since int64
	var last ModelRun
	if err := t.store.read(ctx).Order("id DESC").Limit(1).Find(&last).Error; err != nil {
		return false
	}
	if last.ID != 0 {
		since = last.DataVersion
	}
	n, err := t.store.LabelsSince(ctx, since, every)
	return err == nil && n >= every
}
