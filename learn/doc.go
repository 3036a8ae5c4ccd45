// Package learn is Concord's built-in text classifier: it learns a
// dimension's labels from the paragraphs annotators have labelled and
// suggests labels for the rest. It is pure statistics, like agreement and
// consensus: plain typed data in and out, no database, no HTTP, no files.
//
// Texts become TF-IDF vectors (Vectorizer) of hashed word unigrams and
// bigrams and character n-grams inside word boundaries, lower-cased, with
// scikit-learn's definitions (sublinear tf, smooth idf, unit-length rows).
// Train fits multinomial logistic regression with an L2 penalty for a
// single-choice dimension and one binary logistic regression per category
// for a multi-label one, with L-BFGS from zero; the same data and Options
// give the same Model, bit for bit, whatever the number of cores. A Model
// predicts probabilities per category and serialises with MarshalBinary;
// its ID hashes its options and training data.
//
// CrossValidate measures a model by stratified k-fold cross-validation
// with folds drawn from a seed and returns every item's out-of-fold
// probabilities. From those, LabelIssues finds the items whose given
// label the model finds least likely by confident learning (Northcutt,
// Jiang and Chuang, "Confident Learning: Estimating Uncertainty in Dataset
// Labels", JAIR 70, 2021), and Margins orders items for an "uncertain
// first" queue.
//
// Input the package cannot learn from gives an error wrapping ErrInvalid
// that says what was wrong: no items, one category in use, a text with no
// words, more folds than a category has items.
package learn
