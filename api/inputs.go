package api

// The inputs routes read from their path and query, each validated by its
// tags (the bodies are with their routes' types), and the readers of the path
// ids.

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/ids"
)

// orgPath is the organization id in a route's path.
type orgPath struct {
	OrganizationID string `path:"organizationId" validate:"guid"`
}

// appPath is the application id in a route's path.
type appPath struct {
	ApplicationID string `path:"applicationId" validate:"guid"`
}

// jobPath is the application and job ids in a route's path.
type jobPath struct {
	ApplicationID string `path:"applicationId" validate:"guid"`
	JobID         string `path:"jobId" validate:"jobid"`
}

// pageQuery pages through a collection.
type pageQuery struct {
	Limit  int `query:"limit" validate:"min=1,max=1000"`
	Offset int `query:"offset" validate:"min=0"`
}

// pathOrg reads and validates the organization id of the path. GUIDs are
// case-insensitive; syncgate uses the lower-case form.
func (s *server) pathOrg(r *http.Request) (string, error) {
	p := orgPath{OrganizationID: chi.URLParam(r, "organizationId")}
	if err := s.bind.validate(&p); err != nil {
		return "", err
	}
	return strings.ToLower(p.OrganizationID), nil
}

// pathJob reads and validates the application and job ids of the path.
func (s *server) pathJob(r *http.Request) (jobPath, error) {
	p := jobPath{ApplicationID: chi.URLParam(r, "applicationId"), JobID: chi.URLParam(r, "jobId")}
	// jobPath's rules are guid and jobid: ids that pass both need no
	// reflective walk; the validator words the problem for those that don't.
	if !ids.IsGUID(p.ApplicationID) || !isJobID(p.JobID) {
		q := p // validated as a copy: p itself stays on the stack
		if err := s.bind.validate(&q); err != nil {
			return q, err
		}
	}
	p.ApplicationID = strings.ToLower(p.ApplicationID)
	return p, nil
}
