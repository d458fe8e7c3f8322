package kaseyabmstest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The vendor's own contract, trimmed (testdata/SOURCE.md says from where).
//
//go:embed testdata/bms-v2-trimmed.json
var contractJSON []byte

type contract struct {
	router routers.Router
	// names maps a lower-cased property name to the schema's spelling:
	// BMS matches names without regard to case (PSA-CONTRACTS.md).
	names map[string]string
}

var (
	contractOnce sync.Once
	theContract  *contract
	contractErr  error
)

func loadContract() (*contract, error) {
	contractOnce.Do(func() { theContract, contractErr = buildContract() })
	return theContract, contractErr
}

func buildContract() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(contractJSON)
	if err != nil {
		return nil, fmt.Errorf("kaseyabmstest: contract: %w", err)
	}
	// Route by path only: the fake runs on any host.
	doc.Servers = nil
	// Deviations from the file, each from PSA-CONTRACTS.md:
	for _, p := range []string{"/v2/security/authenticate", "/v2/security/refreshtoken"} {
		op := doc.Paths.Value(p).Post
		// The security calls cannot need the bearer they hand out; the
		// file's global bearerAuth would otherwise apply.
		op.Security = &openapi3.SecurityRequirements{}
		// x-www-form-urlencoded works as well as the listed multipart.
		mp := op.RequestBody.Value.Content["multipart/form-data"]
		op.RequestBody.Value.Content["application/x-www-form-urlencoded"] = &openapi3.MediaType{Schema: mp.Schema}
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("kaseyabmstest: contract router: %w", err)
	}
	c := &contract{router: r, names: map[string]string{}}
	for _, s := range doc.Components.Schemas {
		for name := range s.Value.Properties {
			c.names[strings.ToLower(name)] = name
		}
	}
	for _, p := range []string{"/v2/security/authenticate", "/v2/security/refreshtoken"} {
		for name := range doc.Paths.Value(p).Post.RequestBody.Value.Content["multipart/form-data"].Schema.Value.Properties {
			c.names[strings.ToLower(name)] = name
		}
	}
	return c, nil
}

// canon renames JSON object keys to the contract's spelling.
func (c *contract) canon(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if n, ok := c.names[strings.ToLower(k)]; ok {
				k = n
			}
			out[k] = c.canon(x)
		}
		return out
	case []any:
		for i := range t {
			t[i] = c.canon(t[i])
		}
	}
	return v
}

// validated is a request that passed the contract, with its body in the
// contract's spelling (JSON decoded, or form values).
type validated struct {
	route  *routers.Route
	params map[string]string
	json   map[string]any
	form   url.Values
	raw    []byte
}

// validate checks r against the contract. The error text is what the
// fake answers in its 400.
func (c *contract) validate(r *http.Request, body []byte) (*validated, int, error) {
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		return nil, http.StatusNotFound, err
	}
	v := &validated{route: route, params: params, raw: body}
	vr := r.Clone(context.Background())
	mt, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if rb := route.Operation.RequestBody; rb != nil && rb.Value.Content.Get(mt) == nil {
		// ASP.NET answers a media type the action does not take with 415.
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q is not accepted here", mt)
	}
	switch {
	case len(body) == 0:
	case mt == "application/json":
		var x any
		if err := json.Unmarshal(body, &x); err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("body is not JSON: %w", err)
		}
		x = c.canon(x)
		v.json, _ = x.(map[string]any)
		body, _ = json.Marshal(x)
	case mt == "multipart/form-data" || mt == "application/x-www-form-urlencoded":
		vals, err := parseForm(mt, mparams, body)
		if err != nil {
			return nil, http.StatusBadRequest, err
		}
		v.form = url.Values{}
		for k, vs := range vals {
			if n, ok := c.names[strings.ToLower(k)]; ok {
				k = n
			}
			v.form[k] = append(v.form[k], vs...)
		}
		body = []byte(v.form.Encode())
		vr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	vr.Body = io.NopCloser(bytes.NewReader(body))
	vr.ContentLength = int64(len(body))
	vr.Header.Set("Content-Length", strconv.Itoa(len(body)))
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true,
			RejectWhenRequestBodyNotSpecified: true, SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return v, 0, nil
}

func parseForm(mt string, params map[string]string, body []byte) (url.Values, error) {
	r, _ := http.NewRequest("POST", "/", bytes.NewReader(body))
	if mt == "multipart/form-data" {
		r.Header.Set("Content-Type", mime.FormatMediaType(mt, params))
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
		return url.Values(r.MultipartForm.Value), nil
	}
	return url.ParseQuery(string(body))
}
