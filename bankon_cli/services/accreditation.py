"""Accreditation: the request document signed with the client's certificate, and its checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bankon_cli.db.models import Accreditation, Agent, Client, ClientEvent
from bankon_cli.domain.statuses import ClientStatus, can_move
from bankon_cli.errors import Conflict, InvalidInput, NotFound
from bankon_cli.services.clients import get_client
from bankon_cli.services.registration import certificate_refusal
from bankon_cli.services.validation import check_text

if TYPE_CHECKING:
    from bankon_cli.signing import CertificateInfo, SigningIdentity

FIELD_POSITION = "Должность"
FIELD_CERTIFICATE = "Сертификат"
POSITION_REQUIRED = "Обязательно укажите должность владельца ЭЦП"
DOCUMENT_KIND = "bankon.accreditation_request"


@dataclass(frozen=True)
class Accredited:
    inn: str
    short_name: str
    status: str
    attached_at: datetime
    position: str
    holder_name: str | None
    certificate_sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "status": self.status,
            "status_label": ClientStatus(self.status).label,
            "attached_at": self.attached_at.isoformat(),
            "position": self.position,
            "holder_name": self.holder_name,
            "certificate_sha256": self.certificate_sha256,
            "signature_valid": True,
        }


@dataclass(frozen=True)
class Verified:
    inn: str
    short_name: str
    holder_name: str | None
    position: str
    signed_at: datetime
    signing_time: datetime | None
    certificate_sha256: str
    document_sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "valid": True,
            "holder_name": self.holder_name,
            "position": self.position,
            "signed_at": self.signed_at.isoformat(),
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "certificate_sha256": self.certificate_sha256,
            "document_sha256": self.document_sha256,
        }


@dataclass(frozen=True)
class ExportedAccreditation:
    inn: str
    document: bytes
    signature: bytes
    certificate: bytes


def canonical_json(data: dict[str, Any]) -> bytes:
    """One byte sequence per content: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def check_position(raw: str | None) -> str:
    position, problem = check_text(FIELD_POSITION, raw)
    if problem is not None:
        detail = POSITION_REQUIRED if not position else problem.problem
        raise InvalidInput(FIELD_POSITION, detail)
    return position


def accreditation_client(session: Session, raw_inn: str) -> Client:
    """The client, if it may be accredited now: registered and not yet attached."""
    client = get_client(session, raw_inn)
    if client.status == ClientStatus.ATTACHED.value:
        raise Conflict(f"Клиент с ИНН {client.inn} уже закреплён: аккредитация пройдена")
    if client.registered_at is None:
        raise Conflict(
            f"Клиент с ИНН {client.inn} ещё не зарегистрирован на портале: сначала "
            "регистрация по ссылке из приглашения (bankon register)"
        )
    return client


def signing_refusal(info: CertificateInfo, inn: str, now: datetime) -> str | None:
    refusal = certificate_refusal(info, inn, now)
    if refusal is None and not info.can_sign:
        refusal = "в сертификате нет назначения «цифровая подпись» или «неотрекаемость»"
    return refusal


def request_document(
    client: Client, agent: Agent, info: CertificateInfo, position: str, now: datetime
) -> bytes:
    return canonical_json(
        {
            "kind": DOCUMENT_KIND,
            "version": 1,
            "requested_at": now.isoformat(timespec="seconds"),
            "client": {
                "inn": client.inn,
                "short_name": client.short_name,
                "full_name": info.organisation or client.full_name,
                "legal_form": client.legal_form,
                "ogrn": info.ogrn_any or client.ogrn,
                "region_code": client.region_code,
                "contact_name": client.contact_name,
                "email": client.email,
                "phone": client.phone,
            },
            "agent": {"inn": agent.inn, "name": agent.name},
            "holder": {
                "name": info.holder_name,
                "position": position,
                "inn": info.holder_inn,
                "snils": info.snils,
            },
            "certificate": {
                "sha256": info.sha256_fingerprint,
                "sha1": info.sha1_thumbprint,
                "serial_number": info.serial_number,
                "issuer": info.issuer,
                "not_after": info.not_after.isoformat(),
            },
        }
    )


def accredit_client(
    session: Session,
    *,
    inn: str,
    identity: SigningIdentity,
    position: str,
    now: datetime,
    actor: str = "",
) -> Accredited:
    """Sign the request, verify the signature at once, store it all and attach the client."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from bankon_cli.signing import describe_certificate, sign_detached, verify_detached

    client = accreditation_client(session, inn)
    info = describe_certificate(identity.certificate)
    refusal = signing_refusal(info, client.inn, now)
    if refusal is not None:
        raise InvalidInput(FIELD_CERTIFICATE, refusal)
    position = check_position(position)
    current, target = ClientStatus(client.status), ClientStatus.ATTACHED
    if not can_move(current, target):
        raise Conflict(f"Клиента в статусе «{current.label}» нельзя закрепить")
    agent = session.get_one(Agent, client.agent_id)
    document = request_document(client, agent, info, position, now)
    signature = sign_detached(document, identity)
    verify_detached(document, signature, identity.certificate)
    session.add(
        Accreditation(
            client_id=client.id,
            document=document,
            signature=signature,
            certificate=identity.certificate.public_bytes(Encoding.DER),
            certificate_sha256=info.sha256_fingerprint,
            position=position,
            signed_at=now,
        )
    )
    # Only one of two accreditations racing for the same client gets past this update.
    moved = session.execute(
        update(Client)
        .where(Client.id == client.id, Client.status == current.value)
        .values(status=target.value)
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        raise Conflict(f"Клиент с ИНН {client.inn} уже закреплён: аккредитация пройдена")
    session.refresh(client)
    client.attached_at = now
    client.updated_at = now
    client.position = position
    client.holder_name = info.holder_name
    client.full_name = client.full_name or info.organisation
    client.ogrn = client.ogrn or info.ogrn_any
    session.add(
        ClientEvent(
            client_id=client.id,
            at=now,
            kind="attached",
            from_status=current.value,
            to_status=target.value,
            detail=(
                f"Аккредитация подписана ЭЦП: {info.holder_name}, {position}; сертификат "
                f"SHA-1 {info.sha1_thumbprint}. Статус «{target.label}»"
            ),
            actor=actor,
        )
    )
    session.flush()
    return Accredited(
        client.inn,
        client.short_name,
        client.status,
        now,
        position,
        info.holder_name,
        info.sha256_fingerprint,
    )


def latest_accreditation(session: Session, raw_inn: str) -> tuple[Client, Accreditation]:
    client = get_client(session, raw_inn)
    row = session.scalar(
        select(Accreditation)
        .where(Accreditation.client_id == client.id)
        .order_by(Accreditation.signed_at.desc(), Accreditation.id.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"У клиента с ИНН {client.inn} нет подписанной заявки на аккредитацию")
    return client, row


def verify_accreditation(session: Session, raw_inn: str) -> Verified:
    """Check again what is stored: certificate, signature over the document, and its contents."""
    from cryptography import x509

    from bankon_cli.signing import SignatureInvalid, describe_certificate, verify_detached

    client, row = latest_accreditation(session, raw_inn)
    if hashlib.sha256(row.certificate).hexdigest() != row.certificate_sha256:
        raise SignatureInvalid("сохранённый сертификат не совпадает со своим отпечатком")
    try:
        certificate = x509.load_der_x509_certificate(row.certificate)
    except ValueError:
        raise SignatureInvalid("сохранённый сертификат повреждён") from None
    verified = verify_detached(row.document, row.signature, certificate)
    try:
        document = json.loads(row.document.decode("utf-8"))
        signed_inn = document["client"]["inn"]
        signed_fingerprint = document["certificate"]["sha256"]
    except (ValueError, KeyError, TypeError):
        raise SignatureInvalid("подписанный документ не читается") from None
    if signed_inn != client.inn or signed_fingerprint != row.certificate_sha256:
        raise SignatureInvalid("подписанный документ относится к другому клиенту или сертификату")
    return Verified(
        client.inn,
        client.short_name,
        describe_certificate(certificate).holder_name,
        row.position,
        row.signed_at,
        verified.signing_time,
        row.certificate_sha256,
        hashlib.sha256(row.document).hexdigest(),
    )


def export_accreditation(session: Session, raw_inn: str) -> ExportedAccreditation:
    client, row = latest_accreditation(session, raw_inn)
    return ExportedAccreditation(client.inn, row.document, row.signature, row.certificate)
