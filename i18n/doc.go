// Package i18n gives every user-visible Haven text in the user's language,
// clinic by clinic: it loads the embedded go-i18n JSON message files,
// negotiates a locale (explicit choice, then Accept-Language, then the
// clinic default, then English) along explicit parent chains, layers clinic
// overrides over the built-in texts and measures translation coverage.
//
// go-i18n is used for what it does well (its JSON message format and CLDR
// plural rules) but not for lookup: its Localizer jumps from a regional
// locale straight to the default language and returns the default string
// together with an error when it falls back (go-i18n issues #226, #266).
// Lookup here walks an explicit chain and reports every miss.
//
// The package imports nothing from server/; the server refreshes clinic
// overrides from its database into an [Overrides] value.
package i18n
