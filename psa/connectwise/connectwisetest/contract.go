package connectwisetest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contractJSON is ConnectWise's own OpenAPI file trimmed to the operations
// unlockbot sends (testdata/SOURCE.md says where it comes from and where it
// deliberately deviates).
//
//go:embed testdata/cw-api-trimmed.json
var contractJSON []byte

var (
	contractOnce sync.Once
	contractDoc  *openapi3.T
	contractErr  error
)

// loadContract parses the contract once per test binary; each Server gets a
// router bound to its own URL.
func loadContract() (*openapi3.T, error) {
	contractOnce.Do(func() {
		l := openapi3.NewLoader()
		contractDoc, contractErr = l.LoadFromData(contractJSON)
		if contractErr == nil {
			contractErr = contractDoc.Validate(context.Background())
		}
	})
	return contractDoc, contractErr
}

// newRouter binds a copy of the contract to base (the fake's URL plus the
// vendor's /v4_6_release/apis/3.0 prefix).
func newRouter(base string) (routers.Router, error) {
	doc, err := loadContract()
	if err != nil {
		return nil, fmt.Errorf("connectwisetest: contract: %w", err)
	}
	cp := *doc
	cp.Servers = openapi3.Servers{{URL: base}}
	return gorillamux.NewRouter(&cp)
}

// validate checks one request against the contract. The body is read and
// put back so the handler can decode it.
func validate(r routers.Router, req *http.Request, body []byte) error {
	route, params, err := r.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in the ConnectWise contract: %w", req.Method, req.URL.Path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	err = openapi3filter.ValidateRequest(req.Context(), in)
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s breaks the ConnectWise contract: %s", req.Method, req.URL.Path, strings.TrimSpace(err.Error()))
	}
	return nil
}
