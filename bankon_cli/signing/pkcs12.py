"""Opening PKCS#12 files: the signing key and its certificate, and why a file cannot be opened."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bankon_cli.signing import der
from bankon_cli.signing.errors import (
    corrupt_file,
    gost_container,
    unreadable_algorithm,
    unsupported_key,
    wrong_passphrase,
)

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    SigningKey = RSAPrivateKey | EllipticCurvePrivateKey

# Algorithm arcs of ГОСТ cryptography: CryptoPro (1.2.643.2.2) and TC 26 (1.2.643.7.1.1).
# The Russian *attribute* OIDs (INN, OGRN, SNILS: 1.2.643.3 and 1.2.643.100) are not in them.
GOST_ALGORITHM_ARCS = ("1.2.643.2.2.", "1.2.643.7.1.1.")

# Password-based encryption schemes OpenSSL 3 keeps only in its legacy provider.
LEGACY_ALGORITHMS = {
    "1.2.840.113549.1.12.1.1": "RC4 128 бит",
    "1.2.840.113549.1.12.1.2": "RC4 40 бит",
    "1.2.840.113549.1.12.1.5": "RC2 128 бит",
    "1.2.840.113549.1.12.1.6": "RC2 40 бит",
    "1.2.840.113549.1.5.1": "DES (MD2)",
    "1.2.840.113549.1.5.3": "DES (MD5)",
    "1.2.840.113549.1.5.4": "RC2 (MD2)",
    "1.2.840.113549.1.5.6": "RC2 (MD5)",
    "1.2.840.113549.1.5.10": "DES (SHA-1)",
    "1.2.840.113549.1.5.11": "RC2 (SHA-1)",
    "1.2.840.113549.3.2": "RC2",
}

MAC_HASHES = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


@dataclass(frozen=True)
class SigningIdentity:
    """The private key (kept in memory only), its certificate and the rest of the file's chain."""

    key: SigningKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    legacy_protection: str | None = None


def passphrase_bytes(passphrase: str | None) -> bytes | None:
    """Empty means no passphrase; any Unicode passphrase goes to OpenSSL as UTF-8."""
    return passphrase.encode("utf-8") if passphrase else None


def load_signing_identity(data: bytes, passphrase: str | None, *, name: str) -> SigningIdentity:
    """Open a PKCS#12 file; `name` is how messages call the file."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        loaded = pkcs12.load_pkcs12(data, passphrase_bytes(passphrase))
    except (ValueError, TypeError):
        raise diagnose(data, passphrase, name) from None
    key = loaded.key
    if key is None:
        raise corrupt_file(name, "в файле нет закрытого ключа")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise unsupported_key(name, type(key).__name__.removeprefix("_").replace("PrivateKey", ""))
    certificates = [item.certificate for item in loaded.additional_certs]
    if loaded.cert is not None:
        certificates.insert(0, loaded.cert.certificate)
    certificate = select_signing_certificate(key, certificates)
    if certificate is None:
        raise corrupt_file(name, "в файле нет сертификата, соответствующего закрытому ключу")
    chain = tuple(item for item in certificates if item is not certificate)
    return SigningIdentity(key, certificate, chain, legacy_algorithm(data))


def select_signing_certificate(
    key: SigningKey, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    """The certificate whose public key is the key's, wherever it stands in the file."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    wanted = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    for certificate in certificates:
        public = certificate.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        )
        if hmac.compare_digest(public, wanted):
            return certificate
    return None


def legacy_algorithm(data: bytes) -> str | None:
    """The legacy encryption a file that did open uses (worth a warning), if any."""
    try:
        oids = set(der.iter_oids(der.parse(data)))
    except der.DerError:
        return None
    return next((label for oid, label in LEGACY_ALGORITHMS.items() if oid in oids), None)


def diagnose(data: bytes, passphrase: str | None, name: str) -> Exception:
    """Why cryptography refused the file: corrupt, ГОСТ, wrong passphrase or legacy algorithm."""
    try:
        pfx = der.parse(data).expect(der.TAG_SEQUENCE)
        parts = pfx.children()
        if len(parts) < 2 or parts[0].tag != der.TAG_INTEGER:
            return corrupt_file(name)
        oids = set(der.iter_oids(pfx))
    except der.DerError:
        return corrupt_file(name)
    if any(oid.startswith(GOST_ALGORITHM_ARCS) for oid in oids):
        return gost_container(name)
    legacy = next((label for oid, label in LEGACY_ALGORITHMS.items() if oid in oids), None)
    mac_ok = check_mac(parts, passphrase)
    if mac_ok is False:
        return wrong_passphrase(name)
    if legacy is not None:
        return unreadable_algorithm(name, legacy)
    if mac_ok is None:
        # No integrity check to consult: a wrong passphrase is by far the likeliest cause.
        return wrong_passphrase(name)
    return corrupt_file(name, "пароль верный, но содержимое не читается")


def check_mac(parts: list[der.Element], passphrase: str | None) -> bool | None:
    """Verify the file's HMAC (RFC 7292): True/False, or None when there is none we can check."""
    if len(parts) < 3:
        return None
    try:
        auth_safe = parts[1].expect(der.TAG_SEQUENCE).children()
        content = auth_safe[1].children()[0].expect(der.TAG_OCTET_STRING).value
        mac_data = parts[2].expect(der.TAG_SEQUENCE).children()
        digest_info = mac_data[0].children()
        hash_name = MAC_HASHES.get(der.oid_of(digest_info[0].children()[0]))
        expected = digest_info[1].expect(der.TAG_OCTET_STRING).value
        salt = mac_data[1].expect(der.TAG_OCTET_STRING).value
        iterations = der.decode_integer(mac_data[2].value) if len(mac_data) > 2 else 1
    except (der.DerError, IndexError):
        return None
    if hash_name is None or not 0 < iterations <= 10_000_000:
        return None
    size = hashlib.new(hash_name).digest_size
    for password in _bmp_candidates(passphrase):
        key = pkcs12_kdf(hash_name, password, salt, 3, iterations, size)
        if hmac.compare_digest(hmac.new(key, content, hash_name).digest(), expected):
            return True
    return False


def _bmp_candidates(passphrase: str | None) -> list[bytes]:
    """The passphrase as BMPString with its terminator; an empty one is also tried as absent."""
    text = passphrase or ""
    candidates = [text.encode("utf-16-be") + b"\x00\x00"]
    if not text:
        candidates.append(b"")
    return candidates


def pkcs12_kdf(
    hash_name: str, password: bytes, salt: bytes, purpose: int, iterations: int, length: int
) -> bytes:
    """The PKCS#12 key derivation of RFC 7292 appendix B.2."""
    digest_size = hashlib.new(hash_name).digest_size
    block = hashlib.new(hash_name).block_size
    diversifier = bytes([purpose]) * block

    def stretch(value: bytes) -> bytes:
        if not value:
            return b""
        count = -(-len(value) // block) * block
        return (value * (count // len(value) + 1))[:count]

    material = bytearray(stretch(salt) + stretch(password))
    output = b""
    while len(output) < length:
        chunk = hashlib.new(hash_name, diversifier + bytes(material)).digest()
        for _ in range(iterations - 1):
            chunk = hashlib.new(hash_name, chunk).digest()
        output += chunk
        addend = int.from_bytes((chunk * (block // digest_size + 1))[:block], "big") + 1
        for start in range(0, len(material), block):
            piece = int.from_bytes(material[start : start + block], "big") + addend
            material[start : start + block] = (piece % (1 << (8 * block))).to_bytes(block, "big")
    return output[:length]
