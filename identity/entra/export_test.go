package entra

import (
	"context"
	"time"
)

// SetSleep replaces the retry wait, so tests see the waits without taking them.
func (d *Directory) SetSleep(f func(context.Context, time.Duration) error) { d.sleep = f }

// SetNow replaces the client's clock (token expiry).
func (d *Directory) SetNow(f func() time.Time) { d.now = f }

// Quote exposes the one $filter escaping function.
var Quote = quote
