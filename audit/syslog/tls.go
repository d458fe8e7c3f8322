package syslog

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles name the PEM files of a TLS connection to the receiver, as the
// config gives them.
type TLSFiles struct {
	CAFile     string // roots that sign the receiver's certificate; empty: the system's
	CertFile   string // client certificate, when the receiver asks for one
	KeyFile    string // its private key
	ServerName string // name in the receiver's certificate; empty: the host of Addr
}

// Config loads the files into a tls.Config for Options.TLS.
func (f TLSFiles) Config() (*tls.Config, error) {
	const op = "audit/syslog.TLSFiles.Config"
	c := &tls.Config{ServerName: f.ServerName, MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: read ca_file: %w", op, err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: ca_file %s holds no PEM certificate", op, f.CAFile)
		}
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New(op + ": set both cert_file and key_file, or neither")
	}
	if f.CertFile != "" {
		// The error names files, never key material.
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: load cert_file and key_file: %w", op, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
