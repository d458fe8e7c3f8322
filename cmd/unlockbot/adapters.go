package main

import (
	"context"
	"errors"
	"net/http"
)

// adapterFactory is one chat platform's adapter as serve and check see it.
// Each decides from the environment whether it is switched on; one that is
// off mounts nothing and returns a no-op shutdown.
type adapterFactory struct {
	name string
	// mount puts the adapter's routes on mux (and starts any connection it
	// keeps open). shutdown waits for work started after an ack.
	mount func(a *app, ctx context.Context, mux *http.ServeMux) (shutdown func(context.Context) error, err error)
	// check is one line for `unlockbot check`: whether the platform
	// accepts the bot's credentials, or that the platform is off.
	check func(a *app, ctx context.Context) (line string, err error)
}

// adapters are the chat platforms serve runs. Adding one is an entry here
// and in platforms.
var adapters = []adapterFactory{
	{name: "slack", mount: (*app).mountSlack, check: (*app).checkSlack},
}

// mountAdapters mounts every adapter of fs and returns one shutdown for
// all of them. Mounting stops at the first error.
func (a *app) mountAdapters(ctx context.Context, mux *http.ServeMux, fs []adapterFactory) (func(context.Context) error, error) {
	var stops []func(context.Context) error
	for _, f := range fs {
		stop, err := f.mount(a, ctx, mux)
		if err != nil {
			return nil, err
		}
		stops = append(stops, stop)
	}
	return func(shut context.Context) error {
		var errs []error
		for i := len(stops) - 1; i >= 0; i-- { // the reverse of mounting
			errs = append(errs, stops[i](shut))
		}
		return errors.Join(errs...)
	}, nil
}
