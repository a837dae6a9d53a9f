"""Registration from an invitation, on SQLite and PostgreSQL, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bankon_cli.db.models import Client, ClientEvent, Invitation
from bankon_cli.errors import Conflict, InvalidInput
from bankon_cli.services.passwords import verify_password
from bankon_cli.services.registration import (
    RegistrationForm,
    RegistrationRefused,
    preview_registration,
    record_failed_attempt,
    register_client,
)
from bankon_cli.signing import describe_certificate
from tests.certs import (
    COMPANY_OGRN,
    HOLDER_TITLE,
    ORGANISATION,
    make_ca,
    make_leaf,
    seed_invited_client,
)
from tests.conftest import R_PHARM

PASSWORD = "Зимний-лес-2026"
FORM = RegistrationForm(login="R-Pharm", password=PASSWORD)


@pytest.fixture(scope="module")
def ca():
    return make_ca()


def _client(app_ctx) -> Client:
    with app_ctx.session_factory() as session:
        client = session.scalar(select(Client).where(Client.inn == R_PHARM[1]))
        session.expunge_all()
        return client


def _events(app_ctx, kind: str) -> list[ClientEvent]:
    with app_ctx.session_factory() as session:
        rows = list(session.scalars(select(ClientEvent).where(ClientEvent.kind == kind)))
        session.expunge_all()
        return rows


def _register(app_ctx, token, form=FORM, certificate=None):
    with app_ctx.session_factory.begin() as session:
        return register_client(
            session, token=token, form=form, certificate=certificate, now=app_ctx.clock()
        )


def test_preview_shows_the_invitation(app_ctx):
    token = seed_invited_client(app_ctx)
    with app_ctx.session_factory.begin() as session:
        preview = preview_registration(session, token, app_ctx.clock())
    assert (preview.inn, preview.short_name, preview.contact_name, preview.email) == (
        R_PHARM[1],
        R_PHARM[0],
        R_PHARM[2],
        R_PHARM[4],
    )
    assert preview.region == "г. Москва"
    assert preview.agent_name == 'ООО "Региональный тестовый центр"'


def test_register_without_certificate(app_ctx):
    token = seed_invited_client(app_ctx)
    form = RegistrationForm(
        login="R-Pharm",
        password=PASSWORD,
        contact_name="  Игнатьев  Валентин Петрович ",
        phone="8 (495) 123-45-67",
    )
    result = _register(app_ctx, f"https://portal.example/register?token={token}", form)
    assert result.login == "r-pharm"
    client = _client(app_ctx)
    assert client.contact_name == "Игнатьев Валентин Петрович"
    assert client.phone == "+74951234567"
    assert client.email == R_PHARM[4]
    assert client.login == "r-pharm"
    assert client.status == "pending"
    assert client.registered_at == app_ctx.clock()
    assert client.legal_form == "legal_entity"
    assert client.region_code == "77"
    assert client.full_name is None and client.ogrn is None
    assert client.password_hash.startswith("scrypt$ln=15,r=8,p=1$")
    assert PASSWORD not in client.password_hash
    assert verify_password(PASSWORD, client.password_hash)
    assert "игнатьев валентин петрович" in client.search_text
    with app_ctx.session_factory() as session:
        invitation = session.scalar(select(Invitation))
        assert (invitation.status, invitation.used_at) == ("used", app_ctx.clock())
    [event] = _events(app_ctx, "registered")
    assert event.detail == "Регистрация на портале завершена без сертификата ЭЦП; логин r-pharm"


def test_register_with_certificate_fills_what_it_says(app_ctx, ca):
    token = seed_invited_client(app_ctx)
    info = describe_certificate(make_leaf(ca).cert)
    result = _register(app_ctx, token, certificate=info)
    assert result.with_certificate
    client = _client(app_ctx)
    assert client.contact_name == "Игнатьев Валентин Петрович"  # «Игнатьев В.» completed
    assert client.full_name == ORGANISATION
    assert client.ogrn == COMPANY_OGRN
    assert client.holder_name == "Игнатьев Валентин Петрович"
    assert client.position == HOLDER_TITLE
    [event] = _events(app_ctx, "registered")
    assert info.sha1_thumbprint in event.detail


def test_certificate_of_another_company_is_refused_and_nothing_changes(app_ctx, ca):
    token = seed_invited_client(app_ctx)
    info = describe_certificate(make_leaf(ca, organisation_inn="7705923096").cert)
    with pytest.raises(RegistrationRefused) as caught:
        _register(app_ctx, token, certificate=info)
    assert caught.value.message == (
        "Сертификат: сертификат выдан на ИНН 7705923096, а клиент — ИНН 7726311464: "
        "нужен сертификат этой организации"
    )
    assert caught.value.exit_status == 2
    client = _client(app_ctx)
    assert (client.login, client.registered_at, client.full_name) == (None, None, None)


def test_expired_certificate_is_refused(app_ctx, ca):
    token = seed_invited_client(app_ctx)
    expired = make_leaf(ca, not_after=app_ctx.clock() - timedelta(days=1))
    with pytest.raises(RegistrationRefused) as caught:
        _register(app_ctx, token, certificate=describe_certificate(expired.cert))
    assert caught.value.message == "Сертификат: срок действия сертификата истёк 02.12.2026"
    assert _client(app_ctx).login is None


@pytest.mark.parametrize(
    ("spoil", "exit_status", "message"),
    [
        (
            "unknown",
            2,
            "ссылка приглашения недействительна: проверьте, что она скопирована целиком",
        ),
        ("used", 4, "приглашение уже использовано: регистрация по нему завершена"),
        (
            "revoked",
            4,
            "ссылка отозвана: клиенту отправлено новое приглашение, используйте ссылку из него",
        ),
        (
            "expired",
            4,
            "срок действия приглашения истёк 17.12.2026 12:00 UTC; агент может отправить его "
            "повторно",
        ),
    ],
)
def test_bad_tokens_are_refused_with_a_reason_and_logged(
    app_ctx, clock, spoil, exit_status, message
):
    token = seed_invited_client(app_ctx)
    if spoil == "unknown":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif spoil == "expired":
        clock.advance(days=14)
    else:
        with app_ctx.session_factory.begin() as session:
            session.execute(update(Invitation).values(status=spoil))
    with pytest.raises(RegistrationRefused) as caught:
        _register(app_ctx, token)
    assert (caught.value.message, int(caught.value.exit_status)) == (message, exit_status)
    assert _client(app_ctx).login is None
    for attempt in (1, 2):
        with app_ctx.session_factory.begin() as session:
            number = record_failed_attempt(
                session, token=token, refusal=caught.value, now=app_ctx.clock()
            )
        assert number == attempt
    events = _events(app_ctx, "registration_failed")
    assert [event.detail for event in events] == [
        f"Неудачная попытка регистрации №{n}: {message}" for n in (1, 2)
    ]
    expected_client = None if spoil == "unknown" else _client(app_ctx).id
    assert {event.client_id for event in events} == {expected_client}
    assert all(token not in event.detail for event in events)


def test_a_token_serves_once(app_ctx):
    token = seed_invited_client(app_ctx)
    _register(app_ctx, token)
    with pytest.raises(RegistrationRefused) as caught:
        _register(app_ctx, token, RegistrationForm(login="other", password=PASSWORD))
    assert caught.value.reason == "used"
    assert _client(app_ctx).login == "r-pharm"


def test_login_must_be_unique(app_ctx):
    first = seed_invited_client(app_ctx)
    _register(app_ctx, first)
    second = seed_invited_client(app_ctx, inn="7705923096")
    with pytest.raises(Conflict) as caught:
        _register(app_ctx, second, RegistrationForm(login="r-pharm", password=PASSWORD))
    assert caught.value.message == "Логин «r-pharm» уже занят: выберите другой"
    with app_ctx.session_factory() as session:
        romashka = session.scalar(select(Client).where(Client.inn == "7705923096"))
        assert romashka.login is None
        assert (
            session.scalar(select(Invitation.status).where(Invitation.client_id == romashka.id))
            == "sent"
        )


@pytest.mark.parametrize(
    ("form", "field", "problem"),
    [
        (RegistrationForm(login="ok-login", password="short1"), "Пароль", "не короче 10 символов"),
        (
            RegistrationForm(login="rpharm", password="rpharm-2026!"),
            "Пароль",
            "не должен содержать логин, ИНН или имя из email",
        ),
        (
            RegistrationForm(login="ok-login", password="1234567890"),
            "Пароль",
            "слишком простой (из списка распространённых паролей)",
        ),
        (
            RegistrationForm(login="я", password=PASSWORD),
            "Логин",
            "«я» — от 3 до 64 символов: латинские буквы, цифры, точка, дефис, подчёркивание; "
            "начинается с буквы или цифры",
        ),
        (
            RegistrationForm(login="ok-login", password=PASSWORD, email="info@"),
            "Email",
            "«info@» — нет домена после @",
        ),
        (
            RegistrationForm(login="ok-login", password=PASSWORD, phone="12"),
            "Телефон",
            "«12» — не похоже на номер телефона",
        ),
    ],
)
def test_bad_fields_are_named_and_nothing_changes(app_ctx, form, field, problem):
    token = seed_invited_client(app_ctx)
    with pytest.raises(InvalidInput) as caught:
        _register(app_ctx, token, form)
    assert (caught.value.field, caught.value.problem) == (field, problem)
    assert _client(app_ctx).login is None
    with app_ctx.session_factory() as session:
        assert session.scalar(select(Invitation.status)) == "sent"


def test_password_hash_is_salted_scrypt_with_its_parameters():
    from bankon_cli.services.passwords import ScryptParameters, hash_password

    fast = ScryptParameters(log2_n=10)
    first, second = hash_password(PASSWORD, fast), hash_password(PASSWORD, fast)
    assert first != second  # a salt per hash
    scheme, settings, salt, digest = first.split("$")
    assert (scheme, settings) == ("scrypt", "ln=10,r=8,p=1")
    assert len(salt) == 22 and len(digest) == 43  # 16 and 32 bytes, base64 without padding
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, "plain-text")
    assert not verify_password(PASSWORD, "bcrypt$x$y$z")
