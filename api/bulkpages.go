package api

import (
	"context"
	"fmt"

	"github.com/syncgate/syncgate/internal/upstream"
)

const (
	// bulkPageSize is the page size asked of Veeam when listing every
	// organization for a bulk sync.
	bulkPageSize = 500
	// maxBulkOrganizations is the most organizations a bulk sync of every
	// organization starts: as many as organizationIds may name.
	maxBulkOrganizations = 1000
)

// allOrganizationIDs pages through every organization Veeam knows, at most
// maxBulkOrganizations of them (so at most maxBulkOrganizations/bulkPageSize
// + 1 calls). A backend that ignores offset and sends the same page again is
// a bad response, not an endless loop.
func allOrganizationIDs(ctx context.Context, orgs OrganizationSyncer) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	for offset := 0; ; offset += bulkPageSize {
		page, err := orgs.Organizations(ctx, offset, bulkPageSize)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Results {
			if seen[o.ID] {
				return nil, &upstream.Error{Service: "veeam", Op: "list organizations", Kind: upstream.KindBadResponse,
					Message: fmt.Sprintf("organization %s listed again at offset %d: the backend repeats pages", o.ID, offset)}
			}
			seen[o.ID] = true
			ids = append(ids, o.ID)
		}
		if len(ids) > maxBulkOrganizations {
			return nil, validationProblem([]FieldError{{Field: "organizationIds", Rule: "max",
				Message: fmt.Sprintf("is empty, which means every organization, and Veeam lists more than %d: name at most %d per request", maxBulkOrganizations, maxBulkOrganizations)}})
		}
		if len(page.Results) < bulkPageSize {
			return ids, nil
		}
	}
}
