"""Detached CMS (PKCS#7) signatures with SHA-256: made by cryptography, checked here by hand.

cryptography can build SignedData but has no API to verify it, so the check reads the
structure with the DER reader and verifies the signer's signature over the signed attributes,
after checking that their message digest is the document's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bankon_cli.signing import der
from bankon_cli.signing.errors import SignatureInvalid

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.hashes import HashAlgorithm

    from bankon_cli.signing.pkcs12 import SigningIdentity

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
DIGESTS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
RSA_ALGORITHMS = {
    "1.2.840.113549.1.1.1",  # rsaEncryption (what OpenSSL and cryptography write)
    "1.2.840.113549.1.1.11",
    "1.2.840.113549.1.1.12",
    "1.2.840.113549.1.1.13",
}
ECDSA_ALGORITHMS = {
    "1.2.840.10045.2.1",  # id-ecPublicKey, as some writers put it
    "1.2.840.10045.4.3.2",
    "1.2.840.10045.4.3.3",
    "1.2.840.10045.4.3.4",
}


@dataclass(frozen=True)
class VerifiedSignature:
    certificate: x509.Certificate
    signing_time: datetime | None
    digest_algorithm: str


def sign_detached(document: bytes, identity: SigningIdentity) -> bytes:
    """A DER detached CMS signature of `document` with SHA-256, carrying the signer's chain."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(document)
        .add_signer(identity.certificate, identity.key, hashes.SHA256())
    )
    for certificate in identity.chain:
        builder = builder.add_certificate(certificate)
    return builder.sign(
        serialization.Encoding.DER,
        [
            pkcs7.PKCS7Options.DetachedSignature,
            pkcs7.PKCS7Options.Binary,
            pkcs7.PKCS7Options.NoCapabilities,
        ],
    )


@dataclass(frozen=True)
class _SignerInfo:
    issuer: bytes | None
    serial: int | None
    key_identifier: bytes | None
    digest_oid: str
    signed_attributes: der.Element | None
    signature_oid: str
    signature: bytes


def verify_detached(
    document: bytes, signature: bytes, certificate: x509.Certificate | None = None
) -> VerifiedSignature:
    """Check `signature` over `document`, by `certificate` or the signer certificate it carries."""
    try:
        embedded, signer = _parse(signature)
    except (der.DerError, IndexError, ValueError):
        raise SignatureInvalid("файл подписи повреждён или не является подписью CMS") from None
    signer_certificate = certificate or next(
        (item for item in embedded if _identifies(signer, item)), None
    )
    if signer_certificate is None:
        raise SignatureInvalid("в подписи нет сертификата подписанта")
    if not _identifies(signer, signer_certificate):
        raise SignatureInvalid("подпись сделана другим сертификатом")
    hash_name = DIGESTS.get(signer.digest_oid)
    if hash_name is None:
        raise SignatureInvalid(f"алгоритм хеширования {signer.digest_oid} не поддерживается")
    digest = hashlib.new(hash_name, document).digest()
    signing_time = None
    if signer.signed_attributes is not None:
        attributes = _attributes(signer.signed_attributes)
        content_type = attributes.get(OID_CONTENT_TYPE)
        if content_type is None or der.oid_of(der.parse(content_type)) != OID_DATA:
            raise SignatureInvalid("подписан не документ (тип содержимого не data)")
        message_digest = attributes.get(OID_MESSAGE_DIGEST)
        if message_digest is None or not hmac.compare_digest(
            der.parse(message_digest).expect(der.TAG_OCTET_STRING).value, digest
        ):
            raise SignatureInvalid("документ изменён после подписания (хеш не совпадает)")
        signing_time = _time(attributes.get(OID_SIGNING_TIME))
        # The signature covers the attributes DER-encoded as a SET, not as the [0] they sit in.
        signed_bytes = bytes([der.TAG_SET]) + signer.signed_attributes.raw[1:]
    else:
        signed_bytes = document
    _check_signature(signer_certificate, signer, signed_bytes, hash_name)
    return VerifiedSignature(signer_certificate, signing_time, hash_name)


def _parse(signature: bytes) -> tuple[list[x509.Certificate], _SignerInfo]:
    from cryptography import x509

    content_info = der.parse(signature).expect(der.TAG_SEQUENCE).children()
    if der.oid_of(content_info[0]) != OID_SIGNED_DATA:
        raise der.DerError("not SignedData")
    signed_data = content_info[1].expect(0xA0).children()[0].expect(der.TAG_SEQUENCE)
    fields = signed_data.children()
    embedded: list[x509.Certificate] = []
    signer_infos = fields[-1].expect(der.TAG_SET).children()
    for item in fields[3:-1]:
        if item.tag == 0xA0:
            embedded.extend(x509.load_der_x509_certificate(c.raw) for c in item.children())
    if len(signer_infos) != 1:
        raise der.DerError("exactly one signer expected")
    return embedded, _signer_info(signer_infos[0])


def _signer_info(element: der.Element) -> _SignerInfo:
    parts = element.expect(der.TAG_SEQUENCE).children()
    sid = parts[1]
    issuer = serial = key_identifier = None
    if sid.tag == der.TAG_SEQUENCE:
        issuer_element, serial_element = sid.children()
        issuer, serial = issuer_element.raw, der.decode_integer(serial_element.value)
    elif sid.tag == 0x80:
        key_identifier = sid.value
    else:
        raise der.DerError("unknown signer identifier")
    digest_oid = der.oid_of(parts[2].children()[0])
    index = 3
    attributes = None
    if parts[index].tag == 0xA0:
        attributes = parts[index]
        index += 1
    signature_oid = der.oid_of(parts[index].children()[0])
    value = parts[index + 1].expect(der.TAG_OCTET_STRING).value
    return _SignerInfo(issuer, serial, key_identifier, digest_oid, attributes, signature_oid, value)


def _attributes(element: der.Element) -> dict[str, bytes]:
    """Each signed attribute's OID and the raw DER of its (single) value."""
    found: dict[str, bytes] = {}
    for attribute in element.children():
        oid_element, values = attribute.children()
        oid = der.oid_of(oid_element)
        if oid in found:
            raise der.DerError("repeated signed attribute")
        items = values.expect(der.TAG_SET).children()
        if len(items) != 1:
            raise der.DerError("an attribute with several values")
        found[oid] = items[0].raw
    return found


def _time(raw: bytes | None) -> datetime | None:
    if raw is None:
        return None
    element = der.parse(raw)
    text = element.value.decode("ascii")
    if element.tag == der.TAG_UTC_TIME:
        moment = datetime.strptime(text, "%y%m%d%H%M%SZ")
    elif element.tag == der.TAG_GENERALIZED_TIME:
        moment = datetime.strptime(text, "%Y%m%d%H%M%SZ")
    else:
        return None
    return moment.replace(tzinfo=UTC)


def _identifies(signer: _SignerInfo, certificate: x509.Certificate) -> bool:
    from cryptography import x509

    if signer.issuer is not None:
        return (
            signer.issuer == certificate.issuer.public_bytes()
            and signer.serial == certificate.serial_number
        )
    try:
        ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return False
    return ski.value.digest == signer.key_identifier


def _hash(name: str) -> HashAlgorithm:
    from cryptography.hazmat.primitives import hashes

    algorithms: dict[str, HashAlgorithm] = {
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
    }
    return algorithms[name]


def _check_signature(
    certificate: x509.Certificate, signer: _SignerInfo, signed: bytes, hash_name: str
) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    public = certificate.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey) and signer.signature_oid in RSA_ALGORITHMS:
            public.verify(signer.signature, signed, padding.PKCS1v15(), _hash(hash_name))
        elif (
            isinstance(public, ec.EllipticCurvePublicKey)
            and signer.signature_oid in ECDSA_ALGORITHMS
        ):
            public.verify(signer.signature, signed, ec.ECDSA(_hash(hash_name)))
        else:
            raise SignatureInvalid(
                f"алгоритм подписи {signer.signature_oid} не поддерживается (только RSA и ECDSA)"
            )
    except InvalidSignature:
        raise SignatureInvalid("подпись не соответствует документу и сертификату") from None
