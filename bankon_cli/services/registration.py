"""Registration from an invitation: token checks, the client's own data, login and password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bankon_cli.db.models import Agent, Client, ClientEvent, Invitation, InviteToken
from bankon_cli.domain.inn import parse_inn
from bankon_cli.domain.regions import region_name
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.errors import BankonError, Conflict, ExitStatus, InvalidInput
from bankon_cli.services.clients import client_search_text
from bankon_cli.services.invitations import InviteTokenRejected, check_token, mark_used
from bankon_cli.services.passwords import check_login, check_password, hash_password
from bankon_cli.services.tokens import token_from_link_or_token, token_hash
from bankon_cli.services.validation import (
    FIELD_CONTACT,
    check_email,
    check_phone,
    check_text,
)

if TYPE_CHECKING:
    from bankon_cli.signing.certificate import CertificateInfo

FIELD_CERTIFICATE = "Сертификат"
FAILED_KIND = "registration_failed"


class RegistrationRefused(BankonError):
    """A refusal that counts as a failed registration attempt (logged, without the token)."""

    def __init__(
        self, message: str, exit_status: ExitStatus | None = None, *, reason: str = ""
    ) -> None:
        super().__init__(message, exit_status)
        self.reason = reason


@dataclass(frozen=True)
class InvitePreview:
    """What the registration page shows before the client fills it in."""

    inn: str
    short_name: str
    contact_name: str
    email: str
    phone: str | None
    legal_form: str
    region: str
    agent_name: str
    expires_at: datetime


@dataclass(frozen=True)
class RegistrationForm:
    """The client's answers; None keeps what the invitation (or certificate) says."""

    login: str
    password: str
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class RegisteredClient:
    inn: str
    short_name: str
    full_name: str | None
    contact_name: str
    email: str
    phone: str | None
    login: str
    legal_form: str
    region: str
    ogrn: str | None
    holder_name: str | None
    position: str | None
    status: str
    registered_at: datetime
    with_certificate: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "inn": self.inn,
            "short_name": self.short_name,
            "full_name": self.full_name,
            "contact_name": self.contact_name,
            "email": self.email,
            "phone": self.phone,
            "login": self.login,
            "legal_form": self.legal_form,
            "region": self.region,
            "ogrn": self.ogrn,
            "holder_name": self.holder_name,
            "position": self.position,
            "status": self.status,
            "status_label": ClientStatus(self.status).label,
            "registered_at": self.registered_at.isoformat(),
            "with_certificate": self.with_certificate,
        }


def _open_invitation(session: Session, token: str, now: datetime) -> tuple[Client, Invitation]:
    try:
        invitation = check_token(session, token, now)
    except InviteTokenRejected as refusal:
        raise RegistrationRefused(
            refusal.message, refusal.exit_status, reason=refusal.reason
        ) from None
    client = session.get_one(Client, invitation.client_id)
    if client.registered_at is not None or client.status != ClientStatus.PENDING.value:
        raise RegistrationRefused(
            f"клиент с ИНН {client.inn} уже зарегистрирован",
            ExitStatus.CONFLICT,
            reason="registered",
        )
    return client, invitation


def preview_registration(session: Session, token: str, now: datetime) -> InvitePreview:
    """The invitation's data, or a RegistrationRefused saying why the link cannot be used."""
    client, invitation = _open_invitation(session, token, now)
    agent = session.get_one(Agent, client.agent_id)
    return InvitePreview(
        inn=client.inn,
        short_name=client.short_name,
        contact_name=client.contact_name,
        email=client.email,
        phone=client.phone,
        legal_form=client.legal_form,
        region=region_name(client.region_code),
        agent_name=agent.name,
        expires_at=invitation.expires_at,
    )


def certificate_refused(problem: str) -> RegistrationRefused:
    return RegistrationRefused(
        f"{FIELD_CERTIFICATE}: {problem}", ExitStatus.INVALID_INPUT, reason="certificate"
    )


def certificate_refusal(info: CertificateInfo, inn: str, now: datetime) -> str | None:
    """Why this certificate cannot stand for the company with `inn` (None: it can)."""
    if info.organisation_inn is None:
        return "в сертификате нет ИНН организации"
    if info.organisation_inn != inn:
        return (
            f"сертификат выдан на ИНН {info.organisation_inn}, а клиент — ИНН {inn}: "
            "нужен сертификат этой организации"
        )
    return info.validity_problem(now)


def register_client(
    session: Session,
    *,
    token: str,
    form: RegistrationForm,
    certificate: CertificateInfo | None,
    now: datetime,
    actor: str = "",
) -> RegisteredClient:
    """Complete the registration: validate, store, spend the invitation, fill derived data."""
    client, invitation = _open_invitation(session, token, now)
    if certificate is not None:
        refusal = certificate_refusal(certificate, client.inn, now)
        if refusal is not None:
            raise certificate_refused(refusal)
    contact_default = (certificate.holder_name if certificate else None) or client.contact_name
    contact, problem = check_text(FIELD_CONTACT, form.contact_name or contact_default)
    if problem:
        raise InvalidInput(problem.field, problem.problem)
    email, email_problem = check_email(form.email or client.email)
    if email_problem is not None:
        raise InvalidInput(email_problem.field, email_problem.problem)
    assert email is not None
    phone, phone_problem = check_phone(form.phone if form.phone is not None else client.phone)
    if phone_problem:
        raise InvalidInput(phone_problem.field, phone_problem.problem)
    login = check_login(form.login)
    check_password(form.password, login=login, inn=client.inn, email=email.normalized)
    taken = session.scalar(select(Client.id).where(Client.login == login, Client.id != client.id))
    if taken is not None:
        raise Conflict(f"Логин «{login}» уже занят: выберите другой")
    password_hash = hash_password(form.password)
    try:
        mark_used(session, invitation, now)
    except InviteTokenRejected as refusal:  # another registration won the race
        raise RegistrationRefused(
            refusal.message, refusal.exit_status, reason=refusal.reason
        ) from None
    inn = parse_inn(client.inn)
    client.contact_name = contact
    client.email = email.normalized
    client.email_key = email.key
    client.phone = phone
    client.login = login
    client.password_hash = password_hash
    # What the portal fills in by itself on first login.
    client.legal_form = inn.legal_form.value
    client.region_code = inn.region_code
    if certificate is not None:
        client.full_name = certificate.organisation or client.full_name
        client.ogrn = certificate.ogrn_any or client.ogrn
        client.holder_name = certificate.holder_name
        client.position = certificate.title or client.position
    client.search_text = client_search_text(
        client.inn, client.short_name, contact, email.normalized
    )
    client.registered_at = now
    client.updated_at = now
    way = (
        f"с сертификатом ЭЦП ({certificate.holder_name}, SHA-1 {certificate.sha1_thumbprint})"
        if certificate is not None
        else "без сертификата ЭЦП"
    )
    session.add(
        ClientEvent(
            client_id=client.id,
            at=now,
            kind="registered",
            detail=f"Регистрация на портале завершена {way}; логин {login}",
            actor=actor,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"Логин «{login}» уже занят: выберите другой") from None
    return RegisteredClient(
        inn=client.inn,
        short_name=client.short_name,
        full_name=client.full_name,
        contact_name=client.contact_name,
        email=client.email,
        phone=client.phone,
        login=login,
        legal_form=client.legal_form,
        region=region_name(client.region_code),
        ogrn=client.ogrn,
        holder_name=client.holder_name,
        position=client.position,
        status=client.status,
        registered_at=now,
        with_certificate=certificate is not None,
    )


def record_failed_attempt(
    session: Session, *, token: str, refusal: RegistrationRefused, now: datetime, actor: str = ""
) -> int:
    """Log a refused registration (never the token) and return how many the client has had.

    Attempts with a token that matches no invitation are logged with no client.
    """
    digest = token_hash(token_from_link_or_token(token))
    client_id = session.scalar(
        select(Invitation.client_id)
        .join(InviteToken, InviteToken.invitation_id == Invitation.id)
        .where(InviteToken.token_hash == digest)
    )
    owner = (
        ClientEvent.client_id == client_id
        if client_id is not None
        else ClientEvent.client_id.is_(None)
    )
    earlier = session.scalar(
        select(func.count()).select_from(ClientEvent).where(ClientEvent.kind == FAILED_KIND, owner)
    )
    number = int(earlier or 0) + 1
    session.add(
        ClientEvent(
            client_id=client_id,
            at=now,
            kind=FAILED_KIND,
            detail=f"Неудачная попытка регистрации №{number}: {refusal.message}",
            actor=actor,
        )
    )
    return number
