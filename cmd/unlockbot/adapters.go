package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// adapterFactory is one chat platform's adapter as serve and check see it.
// Each decides from the environment whether it is switched on; one that is
// off mounts nothing and returns a no-op shutdown.
type adapterFactory struct {
	name string
	// mount puts the adapter's routes on mux (and starts any connection it
	// keeps open). shutdown stops that transport; the service's work is
	// drained by serve, once, for every adapter.
	mount func(a *app, ctx context.Context, mux *http.ServeMux) (shutdown func(context.Context) error, err error)
	// check is one line for `unlockbot check`: whether the platform
	// accepts the bot's credentials, or that the platform is off.
	check func(a *app, ctx context.Context) (line string, err error)
}

// adapters are the chat platforms serve runs. Adding one is an entry here
// and in platforms.
var adapters = []adapterFactory{
	{name: "slack", mount: (*app).mountSlack, check: (*app).checkSlack},
	{name: "teams", mount: (*app).mountTeams, check: (*app).checkTeams},
}

// mountAdapters mounts every adapter of fs and returns one shutdown for
// all of them. Mounting stops at the first error, and the adapters already
// mounted are stopped again: serve does not run half its platforms.
func (a *app) mountAdapters(ctx context.Context, mux *http.ServeMux, fs []adapterFactory) (func(context.Context) error, error) {
	var stops []func(context.Context) error
	stopAll := func(shut context.Context) error {
		var errs []error
		for i := len(stops) - 1; i >= 0; i-- { // the reverse of mounting
			errs = append(errs, stops[i](shut))
		}
		return errors.Join(errs...)
	}
	for _, f := range fs {
		stop, err := f.mount(a, ctx, mux)
		if err != nil {
			shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return nil, errors.Join(fmt.Errorf("%s: %w", f.name, err), stopAll(shut))
		}
		stops = append(stops, stop)
	}
	return stopAll, nil
}
