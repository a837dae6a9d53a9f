"""Accreditation through the services on SQLite and PostgreSQL: sign, store, attach, verify."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select, update

from bankon_cli.db.models import Accreditation, Client, ClientEvent
from bankon_cli.errors import Conflict, InvalidInput, NotFound
from bankon_cli.services.accreditation import (
    accredit_client,
    canonical_json,
    export_accreditation,
    verify_accreditation,
)
from bankon_cli.services.registration import RegistrationForm, register_client
from bankon_cli.signing import SignatureInvalid, load_signing_identity, verify_detached
from tests.certs import (
    COMPANY_INN,
    ENCRYPTION_ONLY_USAGE,
    make_ca,
    make_leaf,
    p12_bytes,
    seed_invited_client,
)


@pytest.fixture(scope="module")
def ca():
    return make_ca()


def identity_for(issued):
    return load_signing_identity(p12_bytes(issued, "пароль"), "пароль", name="client.p12")


@pytest.fixture
def registered(app_ctx) -> str:
    token = seed_invited_client(app_ctx)
    with app_ctx.session_factory.begin() as session:
        register_client(
            session,
            token=token,
            form=RegistrationForm(login="rpharm", password="Зимний-лес-2026"),
            certificate=None,
            now=app_ctx.clock(),
        )
    return COMPANY_INN


def _accredit(app_ctx, issued, position="Генеральный директор", inn=COMPANY_INN):
    with app_ctx.session_factory.begin() as session:
        return accredit_client(
            session, inn=inn, identity=identity_for(issued), position=position, now=app_ctx.clock()
        )


def _state(app_ctx):
    with app_ctx.session_factory() as session:
        client = session.scalar(select(Client).where(Client.inn == COMPANY_INN))
        count = session.scalar(select(func.count()).select_from(Accreditation))
        return client.status, client.attached_at, count


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"б": 1, "a": {"z": None, "y": "Ё"}}) == (
        '{"a":{"y":"Ё","z":null},"б":1}'.encode()
    )


def test_accreditation_signs_stores_and_attaches(app_ctx, registered, ca):
    issued = make_leaf(ca, key_type="rsa")
    result = _accredit(app_ctx, issued, position="  Генеральный   директор ")
    assert result.status == "attached"
    assert result.position == "Генеральный директор"
    with app_ctx.session_factory() as session:
        client = session.scalar(select(Client).where(Client.inn == COMPANY_INN))
        row = session.scalar(select(Accreditation))
        events = list(session.scalars(select(ClientEvent).where(ClientEvent.kind == "attached")))
    assert (client.status, client.attached_at) == ("attached", app_ctx.clock())
    assert client.position == "Генеральный директор"
    assert client.holder_name == "Игнатьев Валентин Петрович"
    assert client.full_name == 'Акционерное общество "Р-Фарм"'
    assert client.ogrn == "1037726001234"
    certificate_der = issued.cert.public_bytes(Encoding.DER)
    assert row.certificate == certificate_der
    assert row.certificate_sha256 == hashlib.sha256(certificate_der).hexdigest()
    assert row.signed_at == app_ctx.clock()
    document = json.loads(row.document)
    assert canonical_json(document) == row.document
    assert document["kind"] == "bankon.accreditation_request"
    assert document["client"]["inn"] == COMPANY_INN
    assert document["holder"] == {
        "name": "Игнатьев Валентин Петрович",
        "position": "Генеральный директор",
        "inn": "772612345678",
        "snils": "11223344595",
    }
    assert document["certificate"]["sha256"] == row.certificate_sha256
    assert document["requested_at"] == "2026-12-03T12:00:00+00:00"
    assert verify_detached(row.document, row.signature, issued.cert).certificate == issued.cert
    [event] = events
    assert (event.from_status, event.to_status) == ("pending", "attached")
    assert event.detail.startswith(
        "Аккредитация подписана ЭЦП: Игнатьев Валентин Петрович, Генеральный директор; "
    )


def test_verify_and_export_what_is_stored(app_ctx, registered, ca):
    issued = make_leaf(ca)
    _accredit(app_ctx, issued)
    with app_ctx.session_factory() as session:
        verified = verify_accreditation(session, COMPANY_INN)
        exported = export_accreditation(session, COMPANY_INN)
    assert verified.holder_name == "Игнатьев Валентин Петрович"
    assert verified.position == "Генеральный директор"
    assert verified.document_sha256 == hashlib.sha256(exported.document).hexdigest()
    assert exported.certificate == issued.cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        ("document", "документ изменён после подписания (хеш не совпадает)"),
        ("certificate", "сохранённый сертификат не совпадает со своим отпечатком"),
        ("signature", "файл подписи повреждён или не является подписью CMS"),
    ],
)
def test_verify_detects_tampering_in_the_database(app_ctx, registered, ca, column, problem):
    _accredit(app_ctx, make_leaf(ca))
    with app_ctx.session_factory.begin() as session:
        row = session.scalar(select(Accreditation))
        spoiled = {
            "document": row.document.replace(
                "Генеральный директор".encode(), "Главный бухгалтер".encode()
            ),
            "certificate": row.certificate[:-1] + bytes([row.certificate[-1] ^ 1]),
            "signature": row.signature[:40],
        }[column]
        session.execute(update(Accreditation).values({column: spoiled}))
    with app_ctx.session_factory() as session, pytest.raises(SignatureInvalid) as caught:
        verify_accreditation(session, COMPANY_INN)
    assert caught.value.message == f"подпись недействительна: {problem}"
    assert caught.value.exit_status == 1


def test_not_registered_client_is_refused(app_ctx, ca):
    seed_invited_client(app_ctx)
    with pytest.raises(Conflict) as caught:
        _accredit(app_ctx, make_leaf(ca))
    assert caught.value.message == (
        "Клиент с ИНН 7726311464 ещё не зарегистрирован на портале: сначала регистрация по "
        "ссылке из приглашения (bankon register)"
    )
    assert _state(app_ctx) == ("pending", None, 0)


def test_already_attached_client_is_refused(app_ctx, registered, ca):
    _accredit(app_ctx, make_leaf(ca))
    with pytest.raises(Conflict) as caught:
        _accredit(app_ctx, make_leaf(ca))
    assert caught.value.message == "Клиент с ИНН 7726311464 уже закреплён: аккредитация пройдена"
    assert _state(app_ctx)[2] == 1


def test_unknown_client_is_not_found(app_ctx, ca):
    with pytest.raises(NotFound):
        _accredit(app_ctx, make_leaf(ca), inn="7705923096")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (
            {"not_after": "past"},
            "срок действия сертификата истёк 02.12.2026",
        ),
        (
            {"not_before": "future"},
            "сертификат ещё не действует: начало срока 04.12.2026",
        ),
        (
            {"key_usage": ENCRYPTION_ONLY_USAGE},
            "в сертификате нет назначения «цифровая подпись» или «неотрекаемость»",
        ),
        (
            {"organisation_inn": "7705923096"},
            "сертификат выдан на ИНН 7705923096, а клиент — ИНН 7726311464: нужен сертификат "
            "этой организации",
        ),
        (
            {"organisation_inn": None, "holder_inn": None},
            "в сертификате нет ИНН организации",
        ),
    ],
)
def test_unusable_certificates_are_refused(app_ctx, registered, ca, options, problem):
    now = app_ctx.clock()
    if options.get("not_after") == "past":
        options = {"not_after": now - timedelta(days=1)}
    if options.get("not_before") == "future":
        options = {"not_before": now + timedelta(days=1)}
    with pytest.raises(InvalidInput) as caught:
        _accredit(app_ctx, make_leaf(ca, **options))
    assert (caught.value.field, caught.value.problem) == ("Сертификат", problem)
    assert _state(app_ctx) == ("pending", None, 0)


@pytest.mark.parametrize("position", ["", "   "])
def test_position_is_required(app_ctx, registered, ca, position):
    with pytest.raises(InvalidInput) as caught:
        _accredit(app_ctx, make_leaf(ca), position=position)
    assert caught.value.message == "Должность: Обязательно укажите должность владельца ЭЦП"
    assert _state(app_ctx) == ("pending", None, 0)


def test_a_concurrent_accreditation_loses_the_status_move(app_ctx, registered, ca):
    """The state check and the move are one conditional UPDATE: a stale read cannot attach twice."""
    from bankon_cli.services.clients import get_client

    with app_ctx.session_factory() as session:
        get_client(session, COMPANY_INN)  # this session now holds the client as «pending»
        # Meanwhile another operator's accreditation moved it (no ORM refresh here).
        session.execute(
            update(Client)
            .where(Client.inn == COMPANY_INN)
            .values(status="attached")
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(Conflict) as caught:
            accredit_client(
                session,
                inn=COMPANY_INN,
                identity=identity_for(make_leaf(ca)),
                position="Директор",
                now=app_ctx.clock(),
            )
        session.rollback()
    assert caught.value.message == "Клиент с ИНН 7726311464 уже закреплён: аккредитация пройдена"
    assert _state(app_ctx) == ("pending", None, 0)
