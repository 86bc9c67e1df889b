package schema

import (
	"embed"
	"io/fs"
	"path"
)

//go:embed jsonschema/*.json
var schemaFS embed.FS

//go:embed asyncapi.yaml
var asyncAPI []byte

// Schemas returns the embedded JSON Schemas (draft 2020-12) of event bodies,
// keyed by file name ("message.created.v1.json", see SchemaName). Each
// document's $id is DataSchema of its kind and action. The map and its byte
// slices are fresh copies the caller may keep or modify.
func Schemas() map[string][]byte {
	entries, err := fs.ReadDir(schemaFS, "jsonschema")
	if err != nil {
		// The directory is part of the binary; failing to read it is a build defect.
		panic("schema: embedded jsonschema directory: " + err.Error())
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := schemaFS.ReadFile(path.Join("jsonschema", e.Name()))
		if err != nil {
			panic("schema: embedded " + e.Name() + ": " + err.Error())
		}
		out[e.Name()] = b
	}
	return out
}

// AsyncAPI returns the embedded AsyncAPI 3 document describing the subjects
// tgnats publishes and serves. The slice is a fresh copy.
func AsyncAPI() []byte {
	return append([]byte(nil), asyncAPI...)
}
