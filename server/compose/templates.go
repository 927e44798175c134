package compose

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/server/apierr"
)

// TemplateView is a template with its labels localized for the request;
// the keys stay beside the text so clients can re-localize.
type TemplateView struct {
	ID       string                 `json:"id"`
	Kind     string                 `json:"kind"`
	Purpose  string                 `json:"purpose"`
	LabelKey string                 `json:"label_key"`
	Label    string                 `json:"label"`
	HelpKey  string                 `json:"help_key"`
	Help     string                 `json:"help"`
	Params   []ParamView            `json:"params"`
	Events   []EventView            `json:"events"`
	Ambient  []environments.Ambient `json:"ambient"`
}

// ParamView is a parameter declaration with localized label and help.
type ParamView struct {
	environments.Param
	Label string `json:"label"`
	Help  string `json:"help"`
}

// EventView is a one-shot event with its localized label.
type EventView struct {
	ID       string `json:"id"`
	LabelKey string `json:"label_key"`
	Label    string `json:"label"`
}

func (s *Service) text(c echo.Context, key string) string {
	if s.web == nil {
		return key
	}
	return s.web.Localize(c, key, nil)
}

func (s *Service) templateView(c echo.Context, t *environments.Template) TemplateView {
	v := TemplateView{ID: t.ID, Kind: t.Kind, Purpose: t.Purpose, LabelKey: t.LabelKey, Label: s.text(c, t.LabelKey),
		HelpKey: t.HelpKey, Help: s.text(c, t.HelpKey), Params: []ParamView{}, Events: []EventView{},
		Ambient: append([]environments.Ambient{}, t.Ambient...)}
	for _, p := range t.Params {
		v.Params = append(v.Params, ParamView{Param: p, Label: s.text(c, p.LabelKey), Help: s.text(c, p.HelpKey)})
	}
	for _, e := range t.Events {
		v.Events = append(v.Events, EventView{ID: e.ID, LabelKey: e.LabelKey, Label: s.text(c, e.LabelKey)})
	}
	return v
}

func (s *Service) listTemplates(c echo.Context) error {
	out := []TemplateView{}
	for _, t := range s.cat.List() {
		out = append(out, s.templateView(c, t))
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": out})
}

func (s *Service) template(id string) (*environments.Template, error) {
	t, ok := s.cat.Get(id)
	if !ok {
		return nil, apierr.New(apierr.NotFound)
	}
	return t, nil
}

func (s *Service) getTemplate(c echo.Context) error {
	t, err := s.template(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.templateView(c, t))
}

// templateParams returns ParamsAt(intensity). The domain clamps; the API
// refuses out-of-range input instead so a typo is not silently "fixed".
func (s *Service) templateParams(c echo.Context) error {
	t, err := s.template(c.Param("id"))
	if err != nil {
		return err
	}
	raw := c.QueryParam("intensity")
	if raw == "" {
		return apierr.Invalid("intensity", "required (0–100)")
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return apierr.Invalid("intensity", strconv.Quote(raw)+" is not a whole number")
	}
	if n < 0 || n > 100 {
		return apierr.Invalid("intensity", strconv.Itoa(n)+" is outside 0–100")
	}
	return c.JSON(http.StatusOK, map[string]any{"template": t.ID, "intensity": n, "params": t.ParamsAt(n)})
}
