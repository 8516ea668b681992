package veeamsim

// Seeded organization ids (lower-case GUIDs, as the server writes them).
const (
	// ContosoID is Contoso: Office365, modern app-only authentication,
	// never synchronized (lastSyncState null).
	ContosoID = "62c4ab35-68fb-4a48-ae4d-8103635b9526"
	// FabrikamID is Fabrikam: Office365, app-only, last sync succeeded.
	FabrikamID = "eb489ee2-6bba-40d4-9b70-1b14be738900"
	// NorthwindID is Northwind Traders: Office365 with basic (legacy)
	// authentication, useApplicationOnlyAuth false; cache sync is refused.
	NorthwindID = "cc3e9934-ca5b-499e-8d97-25b64c2daf57"
	// WoodgroveID is Woodgrove Bank: Office365, app-only, a sync Running that
	// never finishes (Stuck), so every start answers 409 OperationConflict.
	WoodgroveID = "7f4b90ba-b09a-438c-9ff3-7ba3d3319c11"
	// TailspinID is Tailspin Toys: Hybrid, app-only; its last sync ended in
	// Error and its syncs keep failing (FailWith).
	TailspinID = "aa94dcae-7e56-4b3a-b834-5bd6004b041f"
	// LitwareID is Litware: OnPremises, no online settings (both null); cache
	// sync is refused.
	LitwareID = "55fa08ac-702f-4be8-9472-f6c612d2e8b9"
)

// TailspinSyncError is the error text of Tailspin's failing syncs.
const TailspinSyncError = "Failed to synchronize the organization: the remote server returned an error: (503) Server Unavailable."

// SeedOrganizations returns the default organizations, in listing order. Each
// call returns a fresh copy.
func SeedOrganizations() []Organization {
	appOnly := func(app, office string) *OnlineSettings {
		return &OnlineSettings{UseApplicationOnlyAuth: new(true), ApplicationID: app, OfficeOrganizationName: office}
	}
	return []Organization{
		{
			ID: ContosoID, Name: "contoso.onmicrosoft.com", OfficeName: "contoso.onmicrosoft.com",
			Description: "Contoso Ltd. (modern app-only authentication, never synchronized)",
			Type:        TypeOffice365, Region: "Worldwide", IsBackedup: true,
			Exchange:   appOnly("db534d82-857f-4996-b57b-1ec66d3e7d3f", "contoso.onmicrosoft.com"),
			SharePoint: appOnly("db534d82-857f-4996-b57b-1ec66d3e7d3f", "contoso.onmicrosoft.com"),
		},
		{
			ID: FabrikamID, Name: "fabrikam.onmicrosoft.com", OfficeName: "fabrikam.onmicrosoft.com",
			Description: "Fabrikam, Inc. (modern app-only authentication, last sync succeeded)",
			Type:        TypeOffice365, Region: "Worldwide", IsBackedup: true,
			Exchange:    appOnly("d5bec49c-aa69-451e-aa96-1b36568f3df7", "fabrikam.onmicrosoft.com"),
			SharePoint:  appOnly("d5bec49c-aa69-451e-aa96-1b36568f3df7", "fabrikam.onmicrosoft.com"),
			InitialSync: StatusSuccess, InitialSyncType: Full,
		},
		{
			ID: NorthwindID, Name: "northwindtraders.onmicrosoft.com", OfficeName: "northwindtraders.onmicrosoft.com",
			Description: "Northwind Traders (basic authentication: cache sync not available)",
			Type:        TypeOffice365, Region: "Worldwide", IsBackedup: false,
			Exchange: &OnlineSettings{
				UseApplicationOnlyAuth: new(false), Account: "veeam.backup@northwindtraders.onmicrosoft.com",
				OfficeOrganizationName: "northwindtraders.onmicrosoft.com",
			},
			SharePoint: &OnlineSettings{
				UseApplicationOnlyAuth: new(false), Account: "veeam.backup@northwindtraders.onmicrosoft.com",
				OfficeOrganizationName: "northwindtraders.onmicrosoft.com",
			},
		},
		{
			ID: WoodgroveID, Name: "woodgrovebank.onmicrosoft.com", OfficeName: "woodgrovebank.onmicrosoft.com",
			Description: "Woodgrove Bank (a sync that stays Running)",
			Type:        TypeOffice365, Region: "USGovernment", IsBackedup: true,
			Exchange:    appOnly("c58e5697-7921-40df-a0da-2c4754bfd645", "woodgrovebank.onmicrosoft.com"),
			SharePoint:  appOnly("c58e5697-7921-40df-a0da-2c4754bfd645", "woodgrovebank.onmicrosoft.com"),
			InitialSync: StatusRunning, InitialSyncType: Full, Stuck: true,
		},
		{
			ID: TailspinID, Name: "tailspintoys.onmicrosoft.com", OfficeName: "tailspintoys.onmicrosoft.com",
			Description: "Tailspin Toys (hybrid; syncs end in Error)",
			Type:        TypeHybrid, Region: "Germany", IsBackedup: true,
			Exchange:    appOnly("a5180e98-3581-4063-830d-5e33ba7f1c57", "tailspintoys.onmicrosoft.com"),
			SharePoint:  appOnly("a5180e98-3581-4063-830d-5e33ba7f1c57", "tailspintoys.onmicrosoft.com"),
			InitialSync: StatusError, InitialSyncType: Incremental, FailWith: TailspinSyncError,
		},
		{
			ID: LitwareID, Name: "Litware", OfficeName: "litware.local",
			Description: "Litware, Inc. (on-premises Exchange and SharePoint)",
			Type:        TypeOnPremises, Region: "Worldwide", IsBackedup: true,
		},
	}
}
