package main

import (
	"context"
	"fmt"

	"github.com/unlockbot/unlockbot/identity"
)

// newDirectory builds an org's directory from its config.
func newDirectory(oc OrgConfig) (identity.Directory, error) {
	switch oc.Directory.Kind {
	case "demo":
		return demoDirectory(), nil
	}
	return nil, fmt.Errorf("directory.kind %q is not available in this build", oc.Directory.Kind)
}

// checkDirectory reports, for `unlockbot check`, what one directory answers.
func checkDirectory(ctx context.Context, d identity.Directory) ([]string, error) {
	if err := d.Ping(ctx); err != nil {
		return nil, err
	}
	return []string{"answers with the configured credentials"}, nil
}
