"""The mock Daraja's own RSA key pairs (one per environment) and their self-signed certificates.

Real Daraja decrypts the SecurityCredential with Safaricom's private key; the mock makes its own 2048-bit pair at
start, publishes the certificate (PEM) at ``/certificates/...`` and decrypts with PKCS#1 v1.5 (reference §4.1, §4.2
[P]). A credential encrypted with the other environment's certificate does not decrypt: the classic 2001.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048


@dataclasses.dataclass(frozen=True)
class KeyPair:
    """One environment's key: the private key (never leaves the mock) and the certificate to hand out."""

    environment: str
    private_key: rsa.RSAPrivateKey = dataclasses.field(repr=False)
    certificate_pem: bytes = dataclasses.field(repr=False)


def generate_key_pair(environment: str) -> KeyPair:
    """A fresh RSA key and a self-signed certificate named like Safaricom's M-PESA encryption certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"apicrypt.{environment}.mock-daraja.invalid"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sandbox mock Daraja"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(environment, key, certificate.public_bytes(serialization.Encoding.PEM))


def decrypt_credential(pair: KeyPair, credential: str) -> str | None:
    """The password inside a SecurityCredential, or None when it is not Base64 or does not decrypt with this key.

    With implicit rejection (newer OpenSSL) a foreign ciphertext may "decrypt" to random bytes instead of failing;
    those never equal the operator's password, so the verdict is the same (2001).
    """
    try:
        raw = base64.b64decode(credential.strip(), validate=True)
        plain = pair.private_key.decrypt(raw, padding.PKCS1v15())
        return plain.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
