// Package export writes Concord's labelled paragraphs as datasets, in JSON
// Lines (a dataset shape for training, a long shape with one label per line,
// and the task shapes Label Studio and doccano import) and as Excel
// workbooks for review, and reads labelled datasets, reviewed workbooks and
// models' suggestions back into the store. The README describes every shape.
package export
