// Command verify checks a leaf certificate against one CA with Go's crypto/x509, the verifier
// Go TLS clients use (name constraints included): `verify CA.pem LEAF.pem [INTERMEDIATES.pem]`
// prints "OK" and exits 0, or prints the error and exits 1. Standard library only.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

func certs(path string) []*x509.Certificate {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			fail(fmt.Errorf("%s: %w", path, err))
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		fail(fmt.Errorf("%s: no certificate", path))
	}
	return out
}

func fail(err error) {
	fmt.Println(err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: verify CA.pem LEAF.pem [INTERMEDIATES.pem]")
		os.Exit(2)
	}
	roots := x509.NewCertPool()
	for _, c := range certs(os.Args[1]) {
		roots.AddCert(c)
	}
	intermediates := x509.NewCertPool()
	if len(os.Args) > 3 {
		for _, c := range certs(os.Args[3]) {
			intermediates.AddCert(c)
		}
	}
	leaf := certs(os.Args[2])[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		fail(err)
	}
	fmt.Println("OK")
}
