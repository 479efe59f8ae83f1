package httpreg_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/registry/httpreg"
)

// selfSigned writes a self-signed client certificate and its key as PEM files.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, cert *x509.Certificate) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile, cert
}

// TestMutualTLS: a source that requires a client certificate answers a client configured
// with it (and with the source's CA), and refuses one without.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, clientCert := selfSigned(t, dir, "faceverify")
	pool := x509.NewCertPool()
	pool.AddCert(clientCert)
	srv := newContractServerTLS(t, secret, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
	srv.people[numAlice] = person{name: "张三", photo: []byte("photo bytes")}
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)

	log := &dialLog{}
	client := func(cert, key string) *httpreg.Client {
		tc, err := httpreg.TLSConfig(caFile, cert, key)
		if err != nil {
			t.Fatal(err)
		}
		g := loopbackGuard(log, mapResolver{})
		g.TLS = tc
		c, err := httpreg.New(httpreg.Config{Name: "crm", URL: srv.URL + "/reg", Secret: secret, Guard: g, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	q := registry.Query{Name: "张三", Number: numAlice}
	a, err := client(certFile, keyFile).Lookup(context.Background(), q)
	if err != nil || a.Outcome != registry.Match || string(a.Photo) != "photo bytes" {
		t.Fatalf("with the client certificate: %+v %v", a, err)
	}
	if _, err := client("", "").Lookup(context.Background(), q); !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("without a client certificate: %v", err)
	}
	if _, err := httpreg.TLSConfig("", certFile, ""); err == nil {
		t.Fatal("a certificate without its key was accepted")
	}
}
