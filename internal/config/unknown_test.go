package config_test

import (
	"slices"
	"testing"

	"github.com/syncgate/syncgate/internal/config"
)

func TestUnknownNamesTheClosestVariable(t *testing.T) {
	got := config.Unknown([]string{
		"PATH=/usr/bin",
		"SYNCGATE_VEEAM_USER=svc",
		"SYNCGATE_VEEAM_USERNAME=svc",
		"SYNCGATE_JWT_ISSUER=https://issuer/",
		"SYNCGATE_START_COLDOWN=10s",
		"SYNCGATE_VEEAM_PASSWORD_FILE=/run/secrets/pw",
		"SYNCGATE_DEMO_DIR=/tmp/d",
		"SYNCGATE_LOGLEVEL=debug",
	})
	want := []config.UnknownVar{
		{Name: "SYNCGATE_VEEAM_USER", Closest: "SYNCGATE_VEEAM_USERNAME"},
		{Name: "SYNCGATE_JWT_ISSUER", Closest: "SYNCGATE_JWT_ISSUERS"},
		{Name: "SYNCGATE_START_COLDOWN", Closest: "SYNCGATE_START_COOLDOWN"},
		{Name: "SYNCGATE_LOGLEVEL", Closest: "SYNCGATE_LOG_LEVEL"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Unknown = %+v\nwant %+v", got, want)
	}
	if s := got[0].String(); s != "SYNCGATE_VEEAM_USER is not a syncgate variable (did you mean SYNCGATE_VEEAM_USERNAME?)" {
		t.Errorf("String = %q", s)
	}
}
