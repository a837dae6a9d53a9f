"""Adding clients (one INN is one client in the whole database) and showing one client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bankon_cli.config import settings_from_mapping
from bankon_cli.context import AppContext
from bankon_cli.db.models import (
    Application,
    Client,
    ClientEvent,
    Invitation,
    InviteToken,
    OutboxMessage,
)
from bankon_cli.domain.search import search_text
from bankon_cli.errors import Conflict, ExitStatus, InvalidInput, NotFound
from bankon_cli.services.agents import resolve_current_agent
from bankon_cli.services.clients import show_client
from tests.conftest import AGENT_INN, AGENT_NAME, FIXED_NOW, R_PHARM, SEED_CLIENTS
from tests.helpers import service_agent, service_client, table_counts

OTHER_AGENT_INN = "5003052454"
OTHER_AGENT_NAME = "ООО «Другой агент»"
SUB_AGENT_INN = "5403123452"


def _add_r_pharm(app_ctx: AppContext, *, invite: bool = True, agent_inn: str = AGENT_INN):  # type: ignore[no-untyped-def]
    name, inn, contact, _region, email = R_PHARM
    return service_client(app_ctx, inn, name, contact, email, agent_inn=agent_inn, invite=invite)


def test_add_client_stores_every_field(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    name, inn, contact, region, email = R_PHARM
    added = service_client(
        app_ctx,
        f" {inn} ",
        f" {name} ",
        contact,
        "Info@R-Pharm.com",
        phone="8 495 956 79 37",
        invite=True,
    )
    assert added.warnings == []
    assert added.row.as_json() == {
        "inn": inn,
        "short_name": name,
        "contact_name": contact,
        "email": email,
        "phone": "+74959567937",
        "region": region,
        "legal_form": "legal_entity",
        "active_applications": None,
        "agent_inn": AGENT_INN,
        "agent_name": AGENT_NAME,
        "status": "pending",
        "status_label": "На рассмотрении",
        "created_at": "2026-12-03T12:00:00+00:00",
    }
    with app_ctx.session_factory() as session:
        client = session.scalars(select(Client)).one()
        assert (client.inn, client.region_code, client.legal_form) == (inn, "77", "legal_entity")
        assert client.email_key == "info@r-pharm.com"
        assert client.search_text == search_text(name, inn, contact, email)
        assert client.created_at == client.updated_at == FIXED_NOW
        assert client.reminders_paused is False
        events = session.scalars(select(ClientEvent).order_by(ClientEvent.id)).all()
        assert [(e.kind, e.to_status, e.detail) for e in events] == [
            ("created", "pending", f"Клиент добавлен агентом {AGENT_NAME}"),
            ("invited", None, "Приглашение поставлено в очередь на info@r-pharm.com"),
        ]


@pytest.mark.parametrize(
    ("name", "inn", "contact", "region", "legal_form"),
    [
        (name, inn, contact, region, "legal_entity" if len(inn) == 10 else "individual")
        for name, inn, contact, region, _status in SEED_CLIENTS
    ],
)
def test_seed_clients_get_their_region_and_legal_form(  # type: ignore[no-untyped-def]
    app_ctx, name, inn, contact, region, legal_form
) -> None:
    service_agent(app_ctx)
    added = service_client(app_ctx, inn, name, contact, f"client{inn}@example.ru")
    assert (added.row.region, added.row.legal_form) == (region, legal_form)


def test_invitation_and_outbox_are_written_with_the_client(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    added = _add_r_pharm(app_ctx)
    with app_ctx.session_factory() as session:
        client = session.scalars(select(Client)).one()
        invitation = session.scalars(select(Invitation)).one()
        token = session.scalars(select(InviteToken)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert added.outbox_ids == [message.id]
    assert invitation.client_id == client.id
    assert invitation.status == "sent"
    assert invitation.created_at == FIXED_NOW
    assert invitation.expires_at == FIXED_NOW + timedelta(days=14)
    assert (invitation.times_sent, invitation.reminders_sent, invitation.last_sent_at) == (
        0,
        0,
        None,
    )
    # Until delivery mints the link, the stored hash matches no token at all.
    assert token.invitation_id == invitation.id and len(token.token_hash) == 64
    assert message.invite_token_id == token.id
    assert (message.status, message.attempts, message.kind) == ("queued", 0, "invite")
    assert (message.recipient_name, message.recipient_email) == ("Игнатьев В.", "info@r-pharm.com")
    assert message.subject == "Приглашение на портал Банкон24"
    assert "Здравствуйте, Игнатьев В.!" in message.body_text
    assert f"Агент {AGENT_NAME} пригласил компанию «АО Р-ФАРМ»" in message.body_text
    assert "Ссылка действительна до 17.12.2026 15:00 (МСК)." in message.body_text
    assert "{{ссылка}}" in message.body_text and "{{ссылка}}" in message.body_html
    assert message.next_attempt_at == FIXED_NOW


def test_invitation_ttl_comes_from_the_config(env, clock) -> None:  # type: ignore[no-untyped-def]
    settings = settings_from_mapping({"invite": {"ttl": "36h"}})
    app_ctx = AppContext(settings=settings, clock=clock)
    try:
        service_agent(app_ctx)
        _add_r_pharm(app_ctx)
        with app_ctx.session_factory() as session:
            invitation = session.scalars(select(Invitation)).one()
        assert invitation.expires_at == FIXED_NOW + timedelta(hours=36)
    finally:
        app_ctx.close()


def test_no_invite_writes_no_invitation_and_no_mail(app_ctx: AppContext, db_url: str) -> None:
    service_agent(app_ctx)
    added = _add_r_pharm(app_ctx, invite=False)
    assert added.outbox_ids == []
    counts = table_counts(db_url)
    assert (counts["clients"], counts["invitations"], counts["outbox"]) == (1, 0, 0)
    assert counts["client_events"] == 1


def test_same_inn_for_the_same_agent_is_a_conflict_naming_the_client(
    app_ctx: AppContext, db_url: str
) -> None:
    service_agent(app_ctx)
    _add_r_pharm(app_ctx)
    before = table_counts(db_url)
    with pytest.raises(Conflict) as caught:
        service_client(app_ctx, "7726 311 464", "Другое имя", "Кто-то", "other@example.ru")
    assert caught.value.exit_status is ExitStatus.CONFLICT
    assert caught.value.message == (
        "Клиент с ИНН 7726311464 уже есть в списке агента: «АО Р-ФАРМ», статус «На рассмотрении»"
    )
    assert table_counts(db_url) == before


def test_same_inn_of_another_agent_does_not_reveal_the_agent(
    app_ctx: AppContext, db_url: str
) -> None:
    service_agent(app_ctx)
    service_agent(app_ctx, OTHER_AGENT_INN, OTHER_AGENT_NAME)
    _add_r_pharm(app_ctx, agent_inn=OTHER_AGENT_INN)
    before = table_counts(db_url)
    with pytest.raises(Conflict) as caught:
        _add_r_pharm(app_ctx)
    message = caught.value.message
    assert message == "Клиент с ИНН 7726311464 уже закреплён за другим агентом"
    for secret in (OTHER_AGENT_INN, OTHER_AGENT_NAME, "Другой", "АО Р-ФАРМ", "pending"):
        assert secret not in message
    assert table_counts(db_url) == before


def test_a_sub_agents_client_is_another_agents_client_too(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    service_agent(app_ctx, SUB_AGENT_INN, "ИП Субагентов", parent=AGENT_INN)
    _add_r_pharm(app_ctx, agent_inn=SUB_AGENT_INN)
    with pytest.raises(Conflict) as caught:
        _add_r_pharm(app_ctx)
    assert caught.value.message == "Клиент с ИНН 7726311464 уже закреплён за другим агентом"


def test_show_client_gives_every_field_invitation_and_history(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    _add_r_pharm(app_ctx)
    with app_ctx.session_factory() as session:
        detail = show_client(session, "7726 311 464")
    data = detail.as_json()
    assert data["inn"] == "7726311464"
    assert data["status"] == "pending"
    assert data["region"] == "г. Москва"
    for key in (
        "full_name",
        "ogrn",
        "holder_name",
        "position",
        "login",
        "registered_at",
        "attached_at",
    ):
        assert data[key] is None
    assert data["updated_at"] == "2026-12-03T12:00:00+00:00"
    assert data["reminders_paused"] is False
    assert data["invitation"] == {
        "status": "sent",
        "status_label": "отправлено",
        "created_at": "2026-12-03T12:00:00+00:00",
        "expires_at": "2026-12-17T12:00:00+00:00",
        "last_sent_at": None,
        "times_sent": 0,
        "reminders_sent": 0,
        "used_at": None,
    }
    assert [(event["kind"], event["to_status"]) for event in data["history"]] == [
        ("created", "pending"),
        ("invited", None),
    ]
    assert "password_hash" not in data


def test_show_client_without_invitation(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    _add_r_pharm(app_ctx, invite=False)
    with app_ctx.session_factory() as session:
        detail = show_client(session, "7726311464")
    assert detail.invitation is None
    assert [event["kind"] for event in detail.history] == ["created"]


def test_active_applications_count_only_for_attached_clients(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    _add_r_pharm(app_ctx, invite=False)
    with app_ctx.session_factory.begin() as session:
        client = session.scalars(select(Client)).one()
        for status in ("draft", "submitted", "in_review", "approved", "rejected"):
            session.add(Application(client_id=client.id, status=status, created_at=FIXED_NOW))
    with app_ctx.session_factory() as session:
        assert show_client(session, "7726311464").row.active_applications is None
    with app_ctx.session_factory.begin() as session:
        session.execute(update(Client).values(status="attached"))
    with app_ctx.session_factory() as session:
        assert show_client(session, "7726311464").row.active_applications == 3


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ("4346051140", NotFound, "Клиент с ИНН 4346051140 не найден"),
        ("4346051141", InvalidInput, "ИНН: «4346051141» не проходит проверку контрольной суммы"),
        (
            "434605114",
            InvalidInput,
            "ИНН: «434605114» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
            "(ИП или физическое лицо), а содержит 9",
        ),
    ],
)
def test_show_client_errors(app_ctx: AppContext, raw: str, error: type, message: str) -> None:
    service_agent(app_ctx)
    with app_ctx.session_factory() as session, pytest.raises(error) as caught:
        show_client(session, raw)
    assert caught.value.message == message  # type: ignore[attr-defined]


def test_current_agent_precedence(app_ctx: AppContext) -> None:
    with app_ctx.session_factory() as session, pytest.raises(InvalidInput) as caught:
        resolve_current_agent(session, flag_inn=None, configured_inn="")
    assert caught.value.message == (
        "Агент: в базе нет ни одного агента; добавьте его: "
        "bankon agent add --inn ИНН --name НАИМЕНОВАНИЕ"
    )
    service_agent(app_ctx)
    with app_ctx.session_factory() as session:
        # The only agent in the database.
        assert resolve_current_agent(session, flag_inn=None, configured_inn="").inn == AGENT_INN
    service_agent(app_ctx, OTHER_AGENT_INN, OTHER_AGENT_NAME)
    with app_ctx.session_factory() as session:
        with pytest.raises(InvalidInput) as caught:
            resolve_current_agent(session, flag_inn=None, configured_inn="")
        assert caught.value.message == (
            "Агент: не выбран: укажите --agent ИНН, переменную BANKON_AGENT или agent.inn "
            "в конфигурации"
        )
        configured = resolve_current_agent(session, flag_inn=None, configured_inn=OTHER_AGENT_INN)
        assert configured.inn == OTHER_AGENT_INN
        flagged = resolve_current_agent(session, flag_inn=AGENT_INN, configured_inn=OTHER_AGENT_INN)
        assert flagged.inn == AGENT_INN
        with pytest.raises(NotFound) as missing:
            resolve_current_agent(session, flag_inn="2310123454", configured_inn="")
        assert missing.value.message == (
            "Агент с ИНН 2310123454 не найден; список агентов: bankon agent list"
        )
        with pytest.raises(InvalidInput) as bad:
            resolve_current_agent(session, flag_inn="123", configured_inn="")
        assert bad.value.message.startswith("--agent: «123» должен содержать 10 цифр")


def test_concurrent_adds_of_one_inn_give_one_client_and_conflicts(
    app_ctx: AppContext, db_url: str
) -> None:
    """Operators adding the same INN at once: one wins, the others get the conflict, no crash."""
    import threading

    service_agent(app_ctx)
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add_one(number: int) -> None:
        barrier.wait()
        try:
            service_client(
                app_ctx,
                "7726311464",
                f"АО Р-ФАРМ {number}",
                "Игнатьев В.",
                "info@r-pharm.com",
                invite=True,
            )
            outcome = "added"
        except Conflict as conflict:
            outcome = conflict.message
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=add_one, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("added") == 1, outcomes
    assert all(
        outcome.startswith("Клиент с ИНН 7726311464 уже есть в списке агента")
        for outcome in outcomes
        if outcome != "added"
    ), outcomes
    counts = table_counts(db_url)
    assert (counts["clients"], counts["outbox"], counts["invitations"]) == (1, 1, 1)
