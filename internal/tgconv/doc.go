// Package tgconv holds the conversions between Telegram's TL types and
// tgnats's schema types that more than one side needs: message entities
// and peers in both directions, and the file reference a media event
// carries and a command hands back. The mapping package (Telegram →
// events), egress (commands → Telegram) and the simulator use it, so a type
// added on one side is known to all of them.
package tgconv
