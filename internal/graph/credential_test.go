package graph

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// certificateFile writes a self-signed certificate and its unencrypted key,
// both PEM, to one file.
func certificateFile(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "syncgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewCredential(t *testing.T) {
	const tenant, client = "72f988bf-86f1-41af-91ab-2d7cd011db47", "6b2a7c1e-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
	certFile := certificateFile(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     CredentialConfig
		wantErr bool
		check   func(t *testing.T, cred any)
	}{
		{"secret", CredentialConfig{Kind: CredentialSecret, TenantID: tenant, ClientID: client, ClientSecret: "s3cret",
			AuthorityHost: "https://login.microsoftonline.us/", DisableInstanceDiscovery: true, HTTPClient: &http.Client{}}, false,
			func(t *testing.T, cred any) {
				if _, ok := cred.(*azidentity.ClientSecretCredential); !ok {
					t.Errorf("credential is %T, want *azidentity.ClientSecretCredential", cred)
				}
			}},
		{"certificate", CredentialConfig{Kind: CredentialCertificate, TenantID: tenant, ClientID: client, CertificateFile: certFile}, false,
			func(t *testing.T, cred any) {
				if _, ok := cred.(*azidentity.ClientCertificateCredential); !ok {
					t.Errorf("credential is %T, want *azidentity.ClientCertificateCredential", cred)
				}
			}},
		{"secret missing", CredentialConfig{Kind: CredentialSecret, TenantID: tenant, ClientID: client}, true, nil},
		{"tenant missing", CredentialConfig{Kind: CredentialSecret, ClientID: client, ClientSecret: "s3cret"}, true, nil},
		{"invalid tenant", CredentialConfig{Kind: CredentialSecret, TenantID: "a/b", ClientID: client, ClientSecret: "s3cret"}, true, nil},
		{"authority not https", CredentialConfig{Kind: CredentialSecret, TenantID: tenant, ClientID: client, ClientSecret: "s3cret",
			AuthorityHost: "http://login.example"}, true, nil},
		{"certificate file missing", CredentialConfig{Kind: CredentialCertificate, TenantID: tenant, ClientID: client,
			CertificateFile: filepath.Join(t.TempDir(), "none.pem")}, true, nil},
		{"certificate file not PEM", CredentialConfig{Kind: CredentialCertificate, TenantID: tenant, ClientID: client, CertificateFile: notPEM}, true, nil},
		{"unknown kind", CredentialConfig{Kind: "password", TenantID: tenant, ClientID: client}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := NewCredential(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, cred)
			}
		})
	}
}
