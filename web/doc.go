// Package web is Concord's HTTP face: a Gin server with the JSON API under
// /api/v1 and the server-rendered pages annotators and reviewers work in,
// with templates and static files embedded in the binary.
package web
