"""What a qualified certificate says: Russian attributes by OID, key, usage, fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509

OID_INN = "1.2.643.3.131.1.1"
OID_INNLE = "1.2.643.100.4"
OID_OGRN = "1.2.643.100.1"
OID_OGRNIP = "1.2.643.100.5"
OID_SNILS = "1.2.643.100.3"
OID_TITLE = "2.5.4.12"
OID_COMMON_NAME = "2.5.4.3"
OID_SURNAME = "2.5.4.4"
OID_GIVEN_NAME = "2.5.4.42"
OID_ORGANIZATION = "2.5.4.10"
OID_EMAIL = "1.2.840.113549.1.9.1"

EXPIRING_SOON = timedelta(days=30)

# cryptography's attribute, the RFC 5280 name (used in JSON), the Russian label.
KEY_USAGES = (
    ("digital_signature", "digitalSignature", "цифровая подпись"),
    ("content_commitment", "nonRepudiation", "неотрекаемость"),
    ("key_encipherment", "keyEncipherment", "шифрование ключей"),
    ("data_encipherment", "dataEncipherment", "шифрование данных"),
    ("key_agreement", "keyAgreement", "согласование ключей"),
    ("key_cert_sign", "keyCertSign", "подпись сертификатов"),
    ("crl_sign", "cRLSign", "подпись списков отзыва"),
)
KEY_USAGE_LABELS = {name: label for _attribute, name, label in KEY_USAGES}
SIGNING_USAGES = ("digitalSignature", "nonRepudiation")


@dataclass(frozen=True)
class CertificateWarning:
    code: str
    message: str


@dataclass(frozen=True)
class CertificateInfo:
    holder_name: str | None
    common_name: str | None
    organisation: str | None
    organisation_inn: str | None
    holder_inn: str | None
    ogrn: str | None
    ogrnip: str | None
    snils: str | None
    title: str | None
    email: str | None
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    key_type: str
    key_size: int
    key_curve: str | None
    key_usage: tuple[str, ...] | None
    sha1_thumbprint: str
    sha256_fingerprint: str
    self_signed: bool

    @property
    def can_sign(self) -> bool:
        """No keyUsage extension means no restriction (RFC 5280)."""
        return self.key_usage is None or any(usage in self.key_usage for usage in SIGNING_USAGES)

    @property
    def ogrn_any(self) -> str | None:
        return self.ogrn or self.ogrnip

    def days_left(self, now: datetime) -> int:
        return (self.not_after - now).days

    def validity_problem(self, now: datetime) -> str | None:
        if now > self.not_after:
            return f"срок действия сертификата истёк {_date(self.not_after)}"
        if now < self.not_before:
            return f"сертификат ещё не действует: начало срока {_date(self.not_before)}"
        return None

    def warnings(self, now: datetime) -> list[CertificateWarning]:
        found: list[CertificateWarning] = []
        if now > self.not_after:
            found.append(
                CertificateWarning("expired", f"Срок действия истёк {_date(self.not_after)}")
            )
        elif now < self.not_before:
            found.append(
                CertificateWarning(
                    "not_yet_valid", f"Сертификат ещё не действует: с {_date(self.not_before)}"
                )
            )
        elif self.not_after - now <= EXPIRING_SOON:
            found.append(
                CertificateWarning(
                    "expiring_soon",
                    f"Срок действия истекает через {self.days_left(now)} дн. "
                    f"({_date(self.not_after)})",
                )
            )
        if not self.can_sign:
            found.append(
                CertificateWarning(
                    "no_signing_usage",
                    "Нет назначения «цифровая подпись» или «неотрекаемость»: "
                    "сертификатом нельзя подписать заявку",
                )
            )
        elif self.key_usage is None:
            found.append(CertificateWarning("no_key_usage", "Нет расширения «Использование ключа»"))
        if self.organisation_inn is None:
            found.append(CertificateWarning("no_inn", "В сертификате нет ИНН организации"))
        if self.self_signed:
            found.append(CertificateWarning("self_signed", "Сертификат самоподписанный"))
        return found

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "holder_name": self.holder_name,
            "common_name": self.common_name,
            "organisation": self.organisation,
            "organisation_inn": self.organisation_inn,
            "holder_inn": self.holder_inn,
            "ogrn": self.ogrn,
            "ogrnip": self.ogrnip,
            "snils": self.snils,
            "title": self.title,
            "email": self.email,
            "issuer": self.issuer,
            "serial_number": self.serial_number,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(now),
            "key_type": self.key_type,
            "key_size": self.key_size,
            "key_curve": self.key_curve,
            "key_usage": list(self.key_usage) if self.key_usage is not None else None,
            "sha1_thumbprint": self.sha1_thumbprint,
            "sha256_fingerprint": self.sha256_fingerprint,
            "warnings": [
                {"code": item.code, "message": item.message} for item in self.warnings(now)
            ],
        }


def _date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def _attribute(name: x509.Name, oid: str) -> str | None:
    from cryptography import x509

    values = name.get_attributes_for_oid(x509.ObjectIdentifier(oid))
    if not values:
        return None
    value = values[0].value
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split()) or None


def _digits(value: str | None) -> str | None:
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits or None


def split_inns(inn: str | None, innle: str | None) -> tuple[str | None, str | None]:
    """(organisation INN, holder INN) from the INN and INNLE attributes.

    INNLE is the company's INN where present, INN then being the person's. Older certificates
    have no INNLE and write a company's 10-digit INN as 12 digits with a leading `00`.
    """
    inn, innle = _digits(inn), _digits(innle)
    if innle:
        return innle, inn
    if inn and len(inn) == 12 and inn.startswith("00"):
        return inn[2:], None
    return inn, inn


def describe_certificate(certificate: x509.Certificate) -> CertificateInfo:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding

    subject = certificate.subject
    surname = _attribute(subject, OID_SURNAME)
    given = _attribute(subject, OID_GIVEN_NAME)
    common = _attribute(subject, OID_COMMON_NAME)
    holder = " ".join(part for part in (surname, given) if part) or common
    organisation_inn, holder_inn = split_inns(
        _attribute(subject, OID_INN), _attribute(subject, OID_INNLE)
    )
    public = certificate.public_key()
    curve: str | None = None
    if isinstance(public, rsa.RSAPublicKey):
        key_type, key_size = "RSA", public.key_size
    elif isinstance(public, ec.EllipticCurvePublicKey):
        key_type, key_size, curve = "ECDSA", public.key_size, public.curve.name
    else:
        key_type, key_size = type(public).__name__.removeprefix("_"), 0
    body = certificate.public_bytes(Encoding.DER)
    issuer = certificate.issuer
    return CertificateInfo(
        holder_name=holder,
        common_name=common,
        organisation=_attribute(subject, OID_ORGANIZATION),
        organisation_inn=organisation_inn,
        holder_inn=holder_inn,
        ogrn=_digits(_attribute(subject, OID_OGRN)),
        ogrnip=_digits(_attribute(subject, OID_OGRNIP)),
        snils=_digits(_attribute(subject, OID_SNILS)),
        title=_attribute(subject, OID_TITLE),
        email=_attribute(subject, OID_EMAIL),
        issuer=_attribute(issuer, OID_COMMON_NAME)
        or _attribute(issuer, OID_ORGANIZATION)
        or issuer.rfc4514_string(),
        serial_number=format(certificate.serial_number, "X"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        key_type=key_type,
        key_size=key_size,
        key_curve=curve,
        key_usage=_key_usage(certificate),
        sha1_thumbprint=hashlib.sha1(body, usedforsecurity=False).hexdigest().upper(),
        sha256_fingerprint=hashlib.sha256(body).hexdigest(),
        self_signed=certificate.issuer == certificate.subject,
    )


def _key_usage(certificate: x509.Certificate) -> tuple[str, ...] | None:
    from cryptography import x509

    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return tuple(name for attribute, name, _label in KEY_USAGES if getattr(usage, attribute))
