// Package consensus infers each item's true label from several annotators'
// labels, weighing every annotator by how reliable the labels show them to
// be. It is pure statistics on the standard library: no database, no HTTP,
// no files.
//
// Two methods are offered. MajorityVote gives each item the share of its
// labels each category received; a tie between the leading categories is
// reported as a tie (Item.Tie, Item.Value == NoValue), never broken
// silently. DawidSkene runs the EM algorithm of Dawid and Skene (1979): it
// estimates one confusion matrix per annotator (the probability that the
// annotator answers l when the truth is k) together with the posterior of
// each item's true category, so that a careful annotator outweighs a
// careless one and an annotator who always gives the same answer carries no
// weight.
//
// The input is dense: items, annotators and categories are integer ids that
// index name tables, and each Label is three int32, so that a million
// labels take 12 MB. Gold labels are known truths: a gold item's posterior
// is clamped to its gold category in every iteration, and gold items teach
// the model what each annotator's mistakes look like.
//
// # The model
//
// EM starts from the vote (each item's posterior is its share of votes,
// gold clamped) and then alternates an M-step and an E-step; one iteration
// is one of each. The M-step takes maximum a posteriori estimates under a
// symmetric Dirichlet prior: Options.ConfusionPrior pseudo-counts are added
// to every cell of every annotator's confusion matrix (0.1 by default, a
// Dirichlet(1.1, …, 1.1) prior on each row) and Options.ClassPrior to every
// category of the class prior (1 by default), so that an annotator with
// three labels does not get a matrix of zeros and ones and no confusion
// probability is ever 0. Items with neither labels nor gold take no part in
// the estimates. A category that no label and no gold gives is never the
// truth (its class prior is 0): nothing could tell it apart, and EM would
// otherwise use it as a relabelling of a category that is given. The E-step
// computes each item's posterior from the class prior and the confusion
// matrices of its annotators, and the objective: the log-likelihood of the
// labels plus the log density of the prior. EM stops when the objective
// changes by less than Options.Tolerance times max(1, |objective|) between
// two iterations, or after Options.MaxIter iterations. The confusion
// matrices and class prior reported are those of one last M-step on the
// final posteriors.
//
// The model assumes that annotators err independently given the truth. An
// annotator who copies another is taken for a second witness, and the pair
// for very reliable; TestCopierStaysLocal measures what that does.
//
// Multi-label dimensions are inferred by InferMulti as one binary model per
// category (applied or not), over the units (item and annotator pairs) in
// which the annotator answered the item.
//
// # Degenerate input
//
// Input that Dawid–Skene cannot learn from — no labels, a single category,
// a single annotator without gold, no item labelled by two annotators and
// no gold item with a label — gives the majority vote with Result.Reason
// saying why; ids outside the name tables give an error. No result holds a
// NaN. So does data too small to learn reliabilities from: fewer than
// MinSharedItems items labelled by two annotators or with gold, or fewer
// than MinSharedLabelsPerAnnotator labels on such items per annotator on
// average (Options.SmallData runs EM anyway).
//
// In InferMulti, a category nobody applied, or every answer applied, has a
// single side and its model is the vote, with a reason of its own in
// MultiResult.LabelReasons; it does not make the dimension the vote. The
// other reasons depend only on who answered what, which all categories
// share, so they make every category the vote alike.
//
// # Performance
//
// Labels are grouped by item once, by a counting sort, and each label is
// reduced to one int32 code (annotator × categories + category). EM then
// works on patterns: items without gold whose annotators gave the same
// categories share a posterior in every iteration, so it is computed once
// per pattern and weighed by the number of items; five annotators and four
// categories make at most 3,125 patterns. The benchmark in bench_test.go
// infers 1,000,000 labels (200,000 items × 5 annotators, four categories)
// beside a single pass that only counts the labels per item and category,
// and once more with each item's five annotators drawn from 200, where
// patterns save nothing. Measured on a 2-core AMD EPYC shared with other
// work (go test -bench Infer1M -benchtime 4x -count 3): 0.04–0.07 s to
// convergence (11 iterations), 0.37–0.48 s for the sparse crowd, against
// 1.3–2.0 ms for the counting pass.
//
// InferMulti builds the item sets one category at a time, as each binary
// model is inferred, from the units grouped once for all of them (labels
// that come grouped by item are not copied). With Options.Compact no
// model's per-item figures are kept after its turn, so that a multi-label
// dimension holds its labels, its units and item sets and one binary
// model at a time, not one model per category.
//
// References:
//
//   - Dawid, A. P., & Skene, A. M. (1979). Maximum likelihood estimation of
//     observer error-rates using the EM algorithm. Applied Statistics 28(1).
//   - Raykar, V. C., & Yu, S. (2012). Eliminating spammers and ranking
//     annotators for crowdsourced labeling tasks. JMLR 13.
//   - Zheng, Y., Li, G., Li, Y., Shan, C., & Cheng, R. (2017). Truth
//     inference in crowdsourcing: is the problem solved? PVLDB 10(5).
package consensus
