// Package seeds carries the corpus shipped with Concord and its default label
// schema, embedded so that the binary can load them wherever it runs.
package seeds

import "embed"

// FS holds the seed articles (*.txt) and the default schema (schema.yaml).
//
//go:embed *.txt schema.yaml
var FS embed.FS

// SchemaFile is the name of the default schema inside FS and in a seeds folder.
const SchemaFile = "schema.yaml"
