"""Certificates for loopback TLS receivers: a test certificate authority, and certificates it
signs (for a name, valid or expired) or that sign themselves, written as PEM files."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Key = ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Authority:
    """A certificate authority of the test's own; :attr:`path` is its certificate's PEM file
    (``SSL_CERT_FILE`` for a client that should trust it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("orgql test authority"))
            .issuer_name(_name("orgql test authority"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / "authority.pem"
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, *, expired: bool = False) -> tuple[Path, Path]:
        """A certificate for ``name`` signed by this authority (its validity over a day ago
        when ``expired``): its PEM file and its key's."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _leaf(
            name, key, issuer=self.certificate.subject, signer=self.key, expired=expired
        )
        return _write(self.folder, name, certificate, key)


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` signed by its own key: its PEM file and its key's."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _leaf(name, key, issuer=_name(name), signer=key, expired=False)
    return _write(folder, f"self-signed-{name}", certificate, key)


def _leaf(
    name: str, key: Key, *, issuer: x509.Name, signer: Key, expired: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=3 if expired else 1)
    end = now - datetime.timedelta(days=2) if expired else now + datetime.timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _write(folder: Path, stem: str, certificate: x509.Certificate, key: Key) -> tuple[Path, Path]:
    certificate_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem(key))
    return certificate_path, key_path
