// Package config is tgnats' one typed configuration: a YAML file, then
// TGNATS_* environment variables, then explicit Set calls (command-line
// flags), each layer overriding the one before (DESIGN.md §2, §7).
//
// Load reads the file and the environment and resolves *_file secrets; it
// does not validate, so that callers can apply flags with Set first. Validate
// reports every invalid field at once, each error naming the field the way
// the YAML does ("accounts[0].app_id: required") and wrapping ErrInvalid.
//
// Keys are dotted YAML paths with list indexes as numbers
// ("accounts.0.bot_token"). An environment variable is TGNATS_ followed by
// the upper-cased path with '_' for '.', e.g. TGNATS_NATS_URL,
// TGNATS_DATA_DIR, TGNATS_ACCOUNTS_0_BOT_TOKEN; names are matched against
// the struct, so underscores inside YAML names are fine. A list index equal
// to the list's length appends an element. List-of-string values from the
// environment or Set are comma-separated. TGNATS_CONFIG is left to the
// caller (conventionally the file path); any other unknown TGNATS_ variable,
// like any unknown YAML key, is an error.
//
// Secrets (passwords, tokens, app hashes, the state key) have the Secret
// type: they never appear in errors, String, LogValue or marshalled output.
// A secret may be given inline or as <name>_file, a path whose trimmed
// content is the secret; within one layer only one of the two may be set,
// and a later layer's inline value or file replaces an earlier one.
//
// Limits: Validate checks shape and ranges; it does not open files or
// resolve addresses, so a missing TLS file is reported by its user.
package config
