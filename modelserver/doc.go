// Package modelserver asks an outside model server for suggestions,
// speaking the /predict protocol of the Label Studio ML backend so that any
// such backend plugs in unchanged. It sits at the edge, beside the other
// I/O: the Client makes the HTTP calls with timeouts, retries with
// back-off and a circuit breaker; the Worker walks the paragraphs that have
// no suggestion from the server yet, and those annotators are about to see
// first, and stores the answers as suggestions, never as annotations.
package modelserver
