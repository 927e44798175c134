package groups

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/strictjson"
	"github.com/havenvr/haven/server/wire"
)

// MaxFrame bounds one inbound data-channel message in bytes.
const MaxFrame = 8 << 10

// Envelope is the shared data-channel frame of DESIGN.md §3
// ({"v":1,"type","seq","ack","t","body"}), owned by package wire. The chat
// channel's own types are listed here and in docs/groups.md.
type Envelope = wire.Envelope

// Inbound chat-channel message types (member or moderator → server).
const (
	TypeSend   = "chat.send"
	TypeTyping = "chat.typing"
	TypeReact  = "chat.react"
	TypeReport = "chat.report"
	TypePing   = "ping"
	// In a circle (circle.go):
	TypeAvatar = "circle.avatar" // body: Avatar
	TypePose   = "circle.pose"   // body: PoseBody, at most PoseHz relayed
	TypeHand   = "voice.hand"    // body: HandBody
)

// SendBody is a chat message.
type SendBody struct {
	Text string `json:"text"`
}

// ReactBody is a reaction to a message.
type ReactBody struct {
	Msg   string `json:"msg"`
	Emoji string `json:"emoji"`
}

// ReportBody flags a message for the moderators.
type ReportBody struct {
	Msg    string `json:"msg"`
	Reason string `json:"reason"` // worried or harmful
}

// Reactions are the only reactions accepted: supportive ones, so a reaction
// cannot be used to mock someone.
var Reactions = []string{"❤️", "🤗", "👍", "🙏", "💪", "🌱"}

// Inbound is one decoded, validated client frame.
type Inbound struct {
	Type   string
	Seq    uint64
	T      int64
	Send   SendBody
	React  ReactBody
	Report ReportBody
	Avatar Avatar
	Pose   PoseBody
	Hand   HandBody
}

// Decode parses and validates one chat-channel frame. Every failure is a
// coded error: message_too_large, invalid_json, unknown_field,
// duplicate_field, unsupported_version, unknown_message_type or validation;
// the error's data names the offending key for the localized message.
// Frames follow the rules of REST bodies (package strictjson): exact keys,
// each key once, valid UTF-8. encoding/json alone would fold "Text" onto
// text, keep the last of two "text" keys (so a filter could read one copy
// and the room store another) and turn bad bytes into U+FFFD.
func Decode(data []byte) (Inbound, error) {
	var in Inbound
	if len(data) > MaxFrame {
		return in, apierr.New(apierr.MessageTooLarge)
	}
	var env Envelope
	if err := strictjson.Unmarshal(data, &env); err != nil {
		return in, err
	}
	if env.V != 1 {
		return in, apierr.New(apierr.UnsupportedVersion)
	}
	in.Type, in.Seq, in.T = env.Type, env.Seq, env.T
	body := env.Body
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		body = []byte("{}")
	}
	switch env.Type {
	case TypeSend:
		if err := strictjson.Unmarshal(body, &in.Send); err != nil {
			return in, err
		}
		if len([]rune(in.Send.Text)) > MaxTextRunes {
			return in, apierr.New(apierr.MessageTooLarge)
		}
	case TypeReact:
		if err := strictjson.Unmarshal(body, &in.React); err != nil {
			return in, err
		}
		if !validReaction(in.React.Emoji) || !validID(in.React.Msg) {
			return in, apierr.Invalid("emoji", "unknown reaction")
		}
	case TypeReport:
		if err := strictjson.Unmarshal(body, &in.Report); err != nil {
			return in, err
		}
		if (in.Report.Reason != "worried" && in.Report.Reason != "harmful") || !validID(in.Report.Msg) {
			return in, apierr.Invalid("reason", "worried or harmful")
		}
	case TypeAvatar:
		if err := strictjson.Unmarshal(body, &in.Avatar); err != nil {
			return in, err
		}
		if !in.Avatar.valid() {
			return in, apierr.Invalid("avatar", "shape, colour and accessory from the listed choices")
		}
	case TypePose:
		if err := strictjson.Unmarshal(body, &in.Pose); err != nil {
			return in, err
		}
		if err := validPose(in.Pose); err != nil {
			return in, err
		}
	case TypeHand:
		if err := strictjson.Unmarshal(body, &in.Hand); err != nil {
			return in, err
		}
	case TypeTyping, TypePing:
		var empty struct{}
		if err := strictjson.Unmarshal(body, &empty); err != nil {
			return in, err
		}
	default:
		return in, apierr.New(apierr.UnknownMessageType)
	}
	return in, nil
}

func validReaction(e string) bool {
	for _, r := range Reactions {
		if r == e {
			return true
		}
	}
	return false
}

// validID accepts the server's base32 ids (store.NewID).
func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z') && !(c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// outbound builds a server frame. seq is the room's event counter: gaps
// mean private events addressed to others.
func outbound(typ string, seq uint64, body any) []byte {
	b, err := json.Marshal(struct {
		V    int    `json:"v"`
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
		T    int64  `json:"t"`
		Body any    `json:"body"`
	}{1, typ, seq, time.Now().UnixMilli(), body})
	if err != nil {
		// Bodies are our own structs and maps of strings: Marshal cannot fail.
		panic(err)
	}
	return b
}
