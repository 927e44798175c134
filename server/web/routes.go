package web

import (
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// Access says who may call a route; the access-control matrix test and the
// OpenAPI document both read it.
type Access string

// Access levels.
const (
	Public    Access = "public"    // anyone
	Patient   Access = "patient"   // a patient holding a session join token
	Member    Access = "member"    // an anonymous support-room member token
	Staff     Access = "staff"     // any signed-in clinic account
	Therapist Access = "therapist" // therapist or clinic admin
	Moderator Access = "moderator" // moderator, therapist or clinic admin
	Admin     Access = "admin"     // clinic admin
)

// Route is one documented API endpoint.
type Route struct {
	Method     string
	Path       string // Echo syntax: /api/patients/:id
	Summary    string
	Access     Access
	Tag        string
	Handler    echo.HandlerFunc
	Middleware []echo.MiddlewareFunc
	// RequestBody and Response name the JSON shapes for the docs (free text).
	RequestBody string
	Response    string
}

// Handle registers a route with Echo and records it for the OpenAPI document.
func (s *Server) Handle(r Route) {
	s.routes = append(s.routes, r)
	s.Echo.Add(r.Method, r.Path, r.Handler, r.Middleware...)
}

// Routes returns the registered routes, sorted by path then method.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// OpenAPI describes every registered route as an OpenAPI 3.1 document.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, r := range s.Routes() {
		p := openAPIPath(r.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", "{", "", "}", "", ".", "_", "-", "_").Replace(r.Path),
			"x-access":    string(r.Access),
			"responses": map[string]any{
				"default": map[string]any{"description": "Error", "content": map[string]any{
					"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
				"2XX": map[string]any{"description": orDefault(r.Response, "Success")},
			},
		}
		if r.Tag != "" {
			op["tags"] = []string{r.Tag}
		}
		if params := pathParams(r.Path); len(params) > 0 {
			op["parameters"] = params
		}
		if r.RequestBody != "" {
			op["requestBody"] = map[string]any{"description": r.RequestBody, "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		switch r.Access {
		case Public:
		case Patient, Member:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		default:
			op["security"] = []any{map[string]any{"cookie": []string{}}}
		}
		item[strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Haven API", "version": orDefault(s.opts.Version, "dev"),
			"description": "Self-hostable orchestrator for VR exposure therapy. Errors are {\"error\":{\"code\",\"message\",\"field\"}}."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": "haven_session"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
			"schemas": map[string]any{"Error": map[string]any{
				"type": "object", "required": []string{"error"},
				"properties": map[string]any{"error": map[string]any{"type": "object", "required": []string{"code", "message"},
					"properties": map[string]any{"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
						"field": map[string]any{"type": "string"}}}},
			}},
		},
	}
}

func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") {
			parts[i] = "{" + part[1:] + "}"
		} else if part == "*" {
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/")
}

func pathParams(p string) []any {
	var out []any
	for _, part := range strings.Split(p, "/") {
		name := ""
		if strings.HasPrefix(part, ":") {
			name = part[1:]
		} else if part == "*" {
			name = "path"
		}
		if name != "" {
			out = append(out, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
