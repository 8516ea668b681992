package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
	"github.com/syncgate/syncgate/internal/veeam"
)

// pagedOrgs is an organization list of n organizations; ignoreOffset makes
// it answer the first page whatever offset is asked (a hostile backend).
type pagedOrgs struct {
	OrganizationSyncer
	n            int
	ignoreOffset bool
	calls        int
}

func (p *pagedOrgs) Organizations(ctx context.Context, offset, limit int) (veeam.OrganizationPage, error) {
	p.calls++
	if err := ctx.Err(); err != nil {
		return veeam.OrganizationPage{}, err
	}
	if p.ignoreOffset {
		offset = 0
	}
	var page veeam.OrganizationPage
	for i := offset; i < min(offset+limit, p.n); i++ {
		page.Results = append(page.Results, veeam.Organization{ID: fmt.Sprintf("org-%06d", i)})
	}
	return page, nil
}

// TestAllOrganizationsBounded: listing every organization for a bulk sync
// stops when a backend repeats a page (it used to ask forever: 11,005 calls
// and 742 MB in 30 s) and refuses more organizations than a request may name.
func TestAllOrganizationsBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	ok := &pagedOrgs{n: 1000}
	ids, err := allOrganizationIDs(ctx, ok)
	if err != nil || len(ids) != 1000 || ok.calls != 3 {
		t.Errorf("1000 organizations: %d ids, %d calls, %v; want 1000 ids in 3 calls", len(ids), ok.calls, err)
	}

	repeating := &pagedOrgs{n: 1_000_000, ignoreOffset: true}
	_, err = allOrganizationIDs(ctx, repeating)
	if !upstream.IsKind(err, upstream.KindBadResponse) || repeating.calls != 2 {
		t.Errorf("backend ignoring offset: %d calls, %v; want a bad response after 2 calls", repeating.calls, err)
	}

	many := &pagedOrgs{n: 1_000_000}
	_, err = allOrganizationIDs(ctx, many)
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusBadRequest || many.calls > 3 {
		t.Errorf("a million organizations: %d calls, %v; want a 400 after at most 3 calls", many.calls, err)
	}
}
