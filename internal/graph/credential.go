package graph

import (
	"fmt"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// The credential kinds NewCredential builds.
const (
	CredentialSecret           = "secret"
	CredentialCertificate      = "certificate"
	CredentialManagedIdentity  = "managed-identity"
	CredentialWorkloadIdentity = "workload-identity"
)

// CredentialConfig is the gateway's own Entra identity.
type CredentialConfig struct {
	// Kind is one of the Credential* constants.
	Kind string
	// TenantID and ClientID are the app registration (for managed-identity,
	// ClientID picks a user-assigned identity; empty is the system-assigned
	// one; for workload-identity, empty takes AZURE_TENANT_ID and
	// AZURE_CLIENT_ID).
	TenantID, ClientID string
	// ClientSecret is the secret of kind secret.
	ClientSecret string
	// CertificateFile is a PEM (certificate and unencrypted private key) or
	// PKCS#12 file for kind certificate; CertificatePassword decrypts a
	// PKCS#12 file.
	CertificateFile, CertificatePassword string
	// AuthorityHost is the login host, such as https://login.microsoftonline.com/;
	// empty is the global cloud's. It must be https.
	AuthorityHost string
	// DisableInstanceDiscovery skips azidentity's instance metadata request:
	// needed for an authority that is not a public cloud's (a simulator).
	DisableInstanceDiscovery bool
	// HTTPClient is the transport token requests go through (so a CA bundle
	// and proxy apply); nil is azidentity's default.
	HTTPClient *http.Client
}

// NewCredential builds the azidentity credential of cfg.Kind. It reads the
// certificate file but makes no network call: the first token request does.
func NewCredential(cfg CredentialConfig) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.AuthorityHost}}
	if cfg.HTTPClient != nil {
		opts.Transport = cfg.HTTPClient
	}
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch cfg.Kind {
	case CredentialSecret:
		if err := need(cfg.Kind, "tenant id", cfg.TenantID, "client id", cfg.ClientID, "client secret", cfg.ClientSecret); err != nil {
			return nil, err
		}
		cred, err = azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: cfg.DisableInstanceDiscovery,
		})
	case CredentialCertificate:
		if err := need(cfg.Kind, "tenant id", cfg.TenantID, "client id", cfg.ClientID, "certificate file", cfg.CertificateFile); err != nil {
			return nil, err
		}
		cred, err = certificateCredential(cfg, opts)
	case CredentialManagedIdentity:
		mi := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if cfg.ClientID != "" {
			mi.ID = azidentity.ClientID(cfg.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(mi)
	case CredentialWorkloadIdentity:
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: cfg.TenantID, ClientID: cfg.ClientID,
			DisableInstanceDiscovery: cfg.DisableInstanceDiscovery,
		})
	default:
		return nil, fmt.Errorf("graph: credential kind %q: want %s, %s, %s or %s", cfg.Kind,
			CredentialSecret, CredentialCertificate, CredentialManagedIdentity, CredentialWorkloadIdentity)
	}
	if err != nil {
		return nil, fmt.Errorf("graph: %s credential: %w", cfg.Kind, err)
	}
	return cred, nil
}

// certificateCredential reads cfg.CertificateFile and builds a certificate
// credential from it.
func certificateCredential(cfg CredentialConfig, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	data, err := os.ReadFile(cfg.CertificateFile)
	if err != nil {
		return nil, err
	}
	var password []byte
	if cfg.CertificatePassword != "" {
		password = []byte(cfg.CertificatePassword)
	}
	certs, key, err := azidentity.ParseCertificates(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.CertificateFile, err)
	}
	return azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key, &azidentity.ClientCertificateCredentialOptions{
		ClientOptions: opts, DisableInstanceDiscovery: cfg.DisableInstanceDiscovery,
	})
}

// need reports the first empty value of name, value pairs.
func need(kind string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("graph: %s credential: %s is required", kind, pairs[i])
		}
	}
	return nil
}

// Make sure *http.Client still satisfies the transport azidentity takes.
var _ policy.Transporter = (*http.Client)(nil)
