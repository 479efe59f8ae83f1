package console

import (
	"testing"

	"github.com/faceverify/faceverify/verify"
)

// Each on/off action of the tenant page sets exactly its own setting, to its value; any
// other action sets nothing.
func TestSetSwitch(t *testing.T) {
	for action, want := range map[string]verify.TenantChange{
		"disable":      {Disabled: ptr(true)},
		"enable":       {Disabled: ptr(false)},
		"disable_key":  {KeyDisabled: ptr(true)},
		"enable_key":   {KeyDisabled: ptr(false)},
		"lip_sync_off": {LipSyncOff: ptr(true)},
		"lip_sync_on":  {LipSyncOff: ptr(false)},
	} {
		var ch verify.TenantChange
		if !setSwitch(&ch, action) {
			t.Fatalf("%s: not a switch", action)
		}
		for name, p := range map[string][2]*bool{"Disabled": {ch.Disabled, want.Disabled},
			"KeyDisabled": {ch.KeyDisabled, want.KeyDisabled}, "LipSyncOff": {ch.LipSyncOff, want.LipSyncOff}} {
			if (p[0] == nil) != (p[1] == nil) || p[0] != nil && *p[0] != *p[1] {
				t.Fatalf("%s: %s = %v, want %v", action, name, p[0], p[1])
			}
		}
		if ch.Quota != nil || ch.Concurrency != nil || ch.DigitLanguage != nil || ch.Registry != nil {
			t.Fatalf("%s: changed more: %+v", action, ch)
		}
	}
	for _, action := range []string{"", "limits", "rotate_keys", "Disable"} {
		var ch verify.TenantChange
		if setSwitch(&ch, action) || ch != (verify.TenantChange{}) {
			t.Fatalf("%q taken for a switch: %+v", action, ch)
		}
	}
}

func ptr(v bool) *bool { return &v }
