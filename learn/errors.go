package learn

import "errors"

// ErrInvalid is wrapped by every error about input the package cannot
// learn from or evaluate: no items, one category, a text with no words,
// more folds than a category has items, and the like. The message says
// what was wrong and what to do.
var ErrInvalid = errors.New("learn: invalid input")
