// Package schema holds the JSON Schema (2020-12) of trustsync's
// desired-state files.
//
// The schema file, trustsync.schema.json, is the one editors load through a
// `# yaml-language-server: $schema=...` comment; it is embedded here so the
// binary validates files against exactly the same rules.
package schema

import _ "embed"

//go:embed trustsync.schema.json
var text string

// JSON returns the schema document. Each call returns a fresh copy, so
// callers may keep or change it freely.
func JSON() []byte {
	return []byte(text)
}

// URL is the schema's $id.
const URL = "https://github.com/trustsync/trustsync/schema/trustsync.schema.json"
