package environments

import (
	"fmt"
	"strings"
)

// FieldError names the offending field, the rule it broke and the message id
// the server uses to localize it (args fill the message template).
type FieldError struct {
	Field     string         `json:"field"`
	Rule      string         `json:"rule"`
	MessageID string         `json:"message_id"`
	Args      map[string]any `json:"args,omitempty"`
	Msg       string         `json:"message"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidationErrors lists every problem found, in document order.
type ValidationErrors []*FieldError

func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends a field error; rule doubles as the message-id suffix.
func (v *ValidationErrors) Add(field, rule, msg string, args map[string]any) {
	*v = append(*v, &FieldError{Field: field, Rule: rule, MessageID: "env.error." + rule, Args: args, Msg: msg})
}

// OrNil returns nil for an empty list so callers can `return errs.OrNil()`.
func (v ValidationErrors) OrNil() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

func addf(v *ValidationErrors, field, rule string, args map[string]any, format string, a ...any) {
	v.Add(field, rule, fmt.Sprintf(format, a...), args)
}
