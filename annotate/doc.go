// Package annotate is the domain at the centre of Concord: documents and their
// revisions, paragraphs, the label schema, users and their roles, annotations,
// skips, notes, curation decisions, gold labels, models' suggestions (kept
// apart from every label) and the append-only history of every change,
// together with the Store that keeps them.
//
// The package knows nothing of HTTP, spreadsheets or statistics. The web, export
// and cmd packages call into it; it calls into none of them.
package annotate
