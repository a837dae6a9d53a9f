"""The import service on SQLite and PostgreSQL: outcomes per row, batches, re-runs, dry runs."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest

from bankon_cli.context import AppContext
from bankon_cli.mail.message import invitation_content
from bankon_cli.services import import_writing
from bankon_cli.services.agents import find_agent
from bankon_cli.services.clients import client_search_text
from bankon_cli.services.csv_reading import open_csv
from bankon_cli.services.import_rows import OnExisting, RowOutcome
from bankon_cli.services.importing import ImportOptions, ImportSummary, prepare_import, run_import
from bankon_cli.services.invites import local_time_text
from bankon_cli.services.validation import check_email
from tests.conftest import AGENT_INN, AGENT_NAME, FIXED_NOW, R_PHARM
from tests.helpers import query_rows, service_agent, service_client, table_counts, valid_inns

HEADER = "ИНН;Наименование компании;ФИО контактного лица;Email;Телефон"
OTHER_AGENT_INN = "7701234560"
OTHER_AGENT_NAME = "ООО «Секретный агент»"


def csv_bytes(*lines: str, encoding: str = "cp1251", header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def run(
    app_ctx: AppContext,
    data: bytes,
    *,
    options: ImportOptions | None = None,
    agent_inn: str = AGENT_INN,
    after_batch: Any = None,
) -> tuple[list[RowOutcome], ImportSummary]:
    outcomes: list[RowOutcome] = []
    import_file = prepare_import(open_csv(io.BytesIO(data), name="clients.csv"))
    with app_ctx.session_factory.begin() as session:
        agent = find_agent(session, agent_inn)
    summary = run_import(
        app_ctx.session_factory,
        import_file,
        agent=agent,
        settings=app_ctx.settings,
        clock=app_ctx.clock,
        options=options or ImportOptions(),
        on_row=outcomes.append,
        after_batch=after_batch,
    )
    return outcomes, summary


def brief(outcomes: list[RowOutcome]) -> list[tuple[int, str, str, list[str]]]:
    return [
        (outcome.line, outcome.inn, outcome.status.value, [str(p) for p in outcome.reasons])
        for outcome in outcomes
    ]


@pytest.fixture
def agent_ctx(app_ctx: AppContext) -> AppContext:
    service_agent(app_ctx)
    return app_ctx


def test_cp1251_file_ends_every_row_with_its_exact_outcome(agent_ctx, db_url):
    data = csv_bytes(
        "7726311464;АО Р-ФАРМ;Игнатьев В.;info@r-pharm.com;+7 (916) 123-45-67",
        '4346051140;"ООО ""Новая Техника; филиал""";"Ксения\r\nАбрамова";k@nt.ru;',
        "",
        "3257031038;Крахмал;Viktor;viktor-at-krahmal.ru;",
        "7,72631E+09;Ромашка;Вадим;v@romashka.ru;",
        "7809018702;;;;",
        ";;;;",
        "7726311464;АО Р-ФАРМ дубль;Игнатьев;dup@r-pharm.com;",
    )
    outcomes, summary = run(agent_ctx, data)
    assert brief(outcomes) == [
        (2, "7726311464", "created", []),
        (3, "4346051140", "created", []),
        (6, "3257031038", "rejected", ["Email: «viktor-at-krahmal.ru» — нет знака @"]),
        (
            7,
            "7,72631E+09",
            "rejected",
            [
                "ИНН: «7,72631E+09» — Excel записал ИНН числом в экспоненциальной форме, "
                "последние цифры потеряны и по файлу их не восстановить; в Excel выделите "
                "столбец ИНН, выберите «Формат ячеек», затем «Текстовый», исправьте значения "
                "и сохраните CSV снова"
            ],
        ),
        (
            8,
            "7809018702",
            "rejected",
            [
                "ФИО контактного лица: не заполнено",
                "Наименование компании: не заполнено",
                "Email: не заполнено",
            ],
        ),
        (10, "7726311464", "rejected", ["ИНН: 7726311464 повторяет строку 2"]),
    ]
    assert summary.counts_json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 4,
        "total": 6,
    }
    assert summary.queued == 2
    stored = query_rows(
        db_url, "SELECT inn, short_name, contact_name, phone FROM clients ORDER BY inn"
    )
    assert stored == [
        {
            "inn": "4346051140",
            "short_name": 'ООО "Новая Техника; филиал"',
            "contact_name": "Ксения Абрамова",
            "phone": None,
        },
        {
            "inn": "7726311464",
            "short_name": "АО Р-ФАРМ",
            "contact_name": "Игнатьев В.",
            "phone": "+79161234567",
        },
    ]
    counts = table_counts(db_url)
    assert (counts["invitations"], counts["invite_tokens"], counts["outbox"]) == (2, 2, 2)
    assert counts["client_events"] == 4


def test_imported_client_is_stored_exactly_as_client_add_stores_it(agent_ctx, db_url):
    service_client(
        agent_ctx, "4346051140", "Новая Техника", "Ксения Абрамова", "K@NT.ru", invite=True
    )
    name, inn, contact, _region, _email = R_PHARM
    run(agent_ctx, csv_bytes(f"{inn};{name};{contact};Info@R-Pharm.COM;"))
    columns = (
        "inn, short_name, contact_name, email, email_key, region_code, legal_form, status, "
        "search_text, reminders_paused, created_at"
    )
    added, imported = query_rows(db_url, f"SELECT {columns} FROM clients ORDER BY id")  # noqa: S608
    normalized = check_email("Info@R-Pharm.COM")[0]
    assert normalized is not None
    assert imported["email"] == normalized.normalized
    assert imported["email_key"] == normalized.key
    assert (imported["region_code"], imported["legal_form"]) == ("77", "legal_entity")
    assert imported["search_text"] == client_search_text(inn, name, contact, normalized.normalized)
    added_email = check_email("K@NT.ru")[0]
    assert added_email is not None
    assert added["search_text"] == client_search_text(
        "4346051140", "Новая Техника", "Ксения Абрамова", added_email.normalized
    )
    assert (imported["status"], bool(imported["reminders_paused"])) == ("pending", False)
    invitations = query_rows(
        db_url,
        "SELECT i.status, i.times_sent, i.reminders_sent, t.token_hash, o.kind, o.status AS "
        "outbox_status, o.subject, o.body_text, o.body_html, o.recipient_name, o.recipient_email "
        "FROM invitations i JOIN invite_tokens t ON t.invitation_id = i.id "
        "JOIN outbox o ON o.invite_token_id = t.id ORDER BY i.id",
    )
    expected = invitation_content(
        contact_name=contact,
        company_name=name,
        agent_name=AGENT_NAME,
        expires_at_text=local_time_text(FIXED_NOW + timedelta(days=14), agent_ctx.settings),
        reminder=False,
    )
    imported_invite = invitations[1]
    assert imported_invite["subject"] == expected.subject
    assert imported_invite["body_text"] == expected.text
    assert imported_invite["body_html"] == expected.html
    assert (imported_invite["recipient_name"], imported_invite["recipient_email"]) == (
        contact,
        normalized.normalized,
    )
    for row in invitations:
        assert (row["status"], row["times_sent"], row["reminders_sent"]) == ("sent", 0, 0)
        assert (row["kind"], row["outbox_status"]) == ("invite", "queued")
        assert re.fullmatch(r"[0-9a-f]{64}", row["token_hash"])
    history = query_rows(
        db_url,
        "SELECT e.kind, e.to_status, e.detail FROM client_events e JOIN clients c "
        "ON c.id = e.client_id WHERE c.inn = :inn ORDER BY e.id",
        inn=inn,
    )
    assert history == [
        {
            "kind": "created",
            "to_status": "pending",
            "detail": f"Клиент добавлен агентом {AGENT_NAME} (импорт из «clients.csv»)",
        },
        {
            "kind": "invited",
            "to_status": None,
            "detail": f"Приглашение поставлено в очередь на {normalized.normalized}",
        },
    ]


def _existing_clients(app_ctx: AppContext) -> None:
    service_agent(app_ctx, OTHER_AGENT_INN, OTHER_AGENT_NAME)
    service_client(app_ctx, "7726311464", "АО Р-ФАРМ", "Игнатьев В.", "info@r-pharm.com")
    service_client(app_ctx, "3257031038", "Крахмал", "Viktor", "old@krahmal.ru")
    service_client(
        app_ctx, "4346051140", "Новая Техника", "Ксения", "k@nt.ru", agent_inn=OTHER_AGENT_INN
    )


EXISTING_FILE = csv_bytes(
    "7726311464;АО Р-ФАРМ;Игнатьев В.;info@r-pharm.com;",
    "3257031038;Крахмал;Viktor;new@krahmal.ru;+7 916 000-00-01",
    "4346051140;Новая Техника;Ксения;k@nt.ru;",
    "7705923096;Ромашка;Вадим;v@romashka.ru;",
)


def test_rows_already_in_the_database_are_unchanged_or_skipped_without_naming_the_agent(
    agent_ctx, db_url
):
    _existing_clients(agent_ctx)
    outcomes, _summary = run(agent_ctx, EXISTING_FILE)
    assert [(o.line, o.status.value, o.message) for o in outcomes] == [
        (2, "unchanged", "Данные совпадают"),
        (
            3,
            "skipped",
            "Клиент уже есть в списке агента: «Крахмал», статус «На рассмотрении»; в файле "
            "другие значения: Email, Телефон (обновить: --on-existing update)",
        ),
        (4, "skipped", "Клиент с ИНН 4346051140 уже закреплён за другим агентом"),
        (5, "created", ""),
    ]
    assert all("Секретный" not in o.message and OTHER_AGENT_INN not in o.message for o in outcomes)
    assert query_rows(db_url, "SELECT email FROM clients WHERE inn = '3257031038'") == [
        {"email": "old@krahmal.ru"}
    ]
    assert table_counts(db_url)["invitations"] == 1


def test_on_existing_update_changes_own_pending_clients_only(agent_ctx, db_url):
    _existing_clients(agent_ctx)
    outcomes, summary = run(
        agent_ctx, EXISTING_FILE, options=ImportOptions(on_existing=OnExisting.UPDATE)
    )
    assert [(o.line, o.status.value, o.message) for o in outcomes] == [
        (2, "unchanged", "Данные совпадают"),
        (3, "updated", "Обновлено: Email, Телефон"),
        (4, "skipped", "Клиент с ИНН 4346051140 уже закреплён за другим агентом"),
        (5, "created", ""),
    ]
    assert summary.counts_json()["updated"] == 1
    row = query_rows(
        db_url, "SELECT email, email_key, phone, search_text FROM clients WHERE inn = '3257031038'"
    )[0]
    assert row == {
        "email": "new@krahmal.ru",
        "email_key": "new@krahmal.ru",
        "phone": "+79160000001",
        "search_text": client_search_text("3257031038", "Крахмал", "Viktor", "new@krahmal.ru"),
    }
    events = query_rows(
        db_url,
        "SELECT e.kind, e.detail FROM client_events e JOIN clients c ON c.id = e.client_id "
        "WHERE c.inn = '3257031038' ORDER BY e.id",
    )
    assert events[-1] == {
        "kind": "updated",
        "detail": "Данные обновлены импортом из «clients.csv», строка 3: Email, Телефон",
    }
    assert query_rows(db_url, "SELECT email FROM clients WHERE inn = '4346051140'") == [
        {"email": "k@nt.ru"}
    ]


def test_on_existing_error_rejects_known_rows_with_a_reason(agent_ctx):
    _existing_clients(agent_ctx)
    outcomes, _ = run(agent_ctx, EXISTING_FILE, options=ImportOptions(on_existing=OnExisting.ERROR))
    assert brief(outcomes) == [
        (2, "7726311464", "unchanged", []),
        (
            3,
            "3257031038",
            "rejected",
            [
                "ИНН: клиент уже есть в списке агента: «Крахмал», статус «На рассмотрении»; в "
                "файле другие значения: Email, Телефон"
            ],
        ),
        (4, "4346051140", "rejected", ["ИНН: клиент уже закреплён за другим агентом"]),
        (5, "7705923096", "created", []),
    ]


def _valid_file(count: int, start: int = 100000000) -> bytes:
    return csv_bytes(
        *(
            f"{inn};Клиент {n:03d};Контакт {n:03d};client{n:03d}@example.ru;"
            for n, inn in enumerate(valid_inns(count, start), 1)
        )
    )


class Interrupted(Exception):
    pass


def test_interrupted_import_leaves_whole_batches_and_a_rerun_completes_it(agent_ctx, db_url):
    data = _valid_file(10)

    def stop_after_two(batches: int) -> None:
        if batches == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(agent_ctx, data, options=ImportOptions(batch_size=3), after_batch=stop_after_two)
    counts = table_counts(db_url)
    assert (counts["clients"], counts["invitations"], counts["outbox"]) == (6, 6, 6)
    outcomes, summary = run(agent_ctx, data, options=ImportOptions(batch_size=3))
    assert [o.status.value for o in outcomes] == ["unchanged"] * 6 + ["created"] * 4
    assert summary.queued == 4
    counts = table_counts(db_url)
    assert (
        counts["clients"],
        counts["invitations"],
        counts["invite_tokens"],
        counts["outbox"],
    ) == (
        10,
        10,
        10,
        10,
    )
    per_client = query_rows(
        db_url,
        "SELECT c.inn, count(DISTINCT i.id) AS invitations, count(DISTINCT o.id) AS messages "
        "FROM clients c JOIN invitations i ON i.client_id = c.id "
        "JOIN outbox o ON o.client_id = c.id GROUP BY c.inn",
    )
    assert {(row["invitations"], row["messages"]) for row in per_client} == {(1, 1)}


def test_a_failure_inside_a_batch_rolls_back_that_whole_batch(agent_ctx, db_url, monkeypatch):
    real = import_writing.queue_invitations
    calls = []

    def failing_second_time(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise Interrupted
        return real(*args, **kwargs)

    monkeypatch.setattr(import_writing, "queue_invitations", failing_second_time)
    with pytest.raises(Interrupted):
        run(agent_ctx, _valid_file(7), options=ImportOptions(batch_size=3))
    counts = table_counts(db_url)
    # The second batch's clients were inserted before the failure, and rolled back with it.
    assert (counts["clients"], counts["client_events"], counts["invitations"]) == (3, 6, 3)


def test_duplicate_in_a_later_batch_names_the_first_line(agent_ctx):
    inns = valid_inns(3)
    data = csv_bytes(
        f"{inns[0]};A;A;a@example.ru;",
        f"{inns[1]};B;B;b-at-example.ru;",
        f"{inns[2]};C;C;c@example.ru;",
        f"{inns[1]};B;B;b@example.ru;",
        f"{inns[0]};A2;A2;a2@example.ru;",
    )
    outcomes, _ = run(agent_ctx, data, options=ImportOptions(batch_size=2))
    assert brief(outcomes) == [
        (2, inns[0], "created", []),
        (3, inns[1], "rejected", ["Email: «b-at-example.ru» — нет знака @"]),
        (4, inns[2], "created", []),
        (5, inns[1], "rejected", [f"ИНН: {inns[1]} повторяет строку 3"]),
        (6, inns[0], "rejected", [f"ИНН: {inns[0]} повторяет строку 2"]),
    ]


def test_dry_run_reports_what_a_real_run_does_and_writes_nothing(agent_ctx, db_url):
    _existing_clients(agent_ctx)
    data = EXISTING_FILE + "7,72631E+09;X;Y;y@example.ru;\r\n".encode("cp1251")
    before = table_counts(db_url)
    dry, dry_summary = run(agent_ctx, data, options=ImportOptions(dry_run=True, batch_size=2))
    assert table_counts(db_url) == before
    real, real_summary = run(agent_ctx, data, options=ImportOptions(batch_size=2))
    assert brief(dry) == brief(real)
    assert [o.message for o in dry] == [o.message for o in real]
    assert dry_summary.counts_json() == real_summary.counts_json()
    assert dry_summary.queued == real_summary.queued == 1


def test_shared_email_is_allowed_with_the_warning_client_add_gives(agent_ctx):
    service_client(agent_ctx, "4346051140", "Новая Техника", "Ксения", "buh@firm.ru")
    outcomes, _ = run(agent_ctx, csv_bytes("7726311464;АО Р-ФАРМ;Игнатьев;BUH@firm.ru;"))
    assert outcomes[0].status.value == "created"
    assert outcomes[0].warnings == [
        "Email уже указан у других клиентов (ИНН 4346051140); клиент всё равно добавлен"
    ]


def test_no_invite_writes_clients_and_history_but_no_invitations(agent_ctx, db_url):
    _, summary = run(agent_ctx, _valid_file(3), options=ImportOptions(invite=False))
    counts = table_counts(db_url)
    assert (
        counts["clients"],
        counts["client_events"],
        counts["invitations"],
        counts["outbox"],
    ) == (
        3,
        3,
        0,
        0,
    )
    assert summary.queued == 0


def test_rows_that_lost_the_insert_race_end_unchanged_or_skipped(agent_ctx, db_url, monkeypatch):
    """Another import inserts the INNs between our look-up and our INSERT … ON CONFLICT."""
    _existing_clients(agent_ctx)
    real = import_writing.fetch_existing
    calls: list[list[str]] = []

    def blind_first_look(session: Any, inns: list[str]) -> Any:
        calls.append(sorted(inns))
        return {} if len(calls) == 1 else real(session, inns)

    monkeypatch.setattr(import_writing, "fetch_existing", blind_first_look)
    outcomes, summary = run(agent_ctx, EXISTING_FILE)
    assert [(o.line, o.status.value) for o in outcomes] == [
        (2, "unchanged"),
        (3, "skipped"),
        (4, "skipped"),
        (5, "created"),
    ]
    # The second look asked only for the INNs the INSERT did not get.
    assert calls[1] == ["3257031038", "4346051140", "7726311464"]
    assert summary.queued == 1
    counts = table_counts(db_url)
    assert (counts["clients"], counts["invitations"], counts["outbox"]) == (4, 1, 1)


def test_checking_in_a_helper_process_gives_the_same_outcomes(agent_ctx, db_url):
    inns = valid_inns(9)
    lines = [f"{inn};Клиент {n};Контакт {n};c{n}@example.ru;" for n, inn in enumerate(inns)]
    lines[3] = f"{inns[3]};Клиент 3;;c3-at-example.ru;+7 916"
    lines[5] = f"{inns[1]};Повтор;Контакт;dup@example.ru;"
    data = csv_bytes(*lines, "", "7,72631E+09;X;Y;y@example.ru;")
    dry, _ = run(agent_ctx, data, options=ImportOptions(dry_run=True, batch_size=2))
    helped, summary = run(agent_ctx, data, options=ImportOptions(batch_size=2, helper_processes=1))
    assert brief(helped) == brief(dry)
    assert [o.status.value for o in helped].count("created") == 7
    assert summary.batches == 5
    assert table_counts(db_url)["clients"] == 7


class _BrokenPool:
    """A process pool whose helper dies, as when the system refuses it a process."""

    def __init__(self, **_kwargs: Any) -> None:
        self.submitted = 0

    def submit(self, *_args: Any) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        self.submitted += 1
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("helper died"))
        return future

    def shutdown(self, **_kwargs: Any) -> None:
        pass


def test_rows_are_checked_here_when_the_helper_process_cannot_run(agent_ctx, db_url, monkeypatch):
    from bankon_cli.services import import_checking

    monkeypatch.setattr(import_checking, "ProcessPoolExecutor", _BrokenPool)
    data = _valid_file(7) + "7,72631E+09;X;Y;y@example.ru;\r\n".encode("cp1251")
    outcomes, summary = run(
        agent_ctx, data, options=ImportOptions(batch_size=2, helper_processes=1)
    )
    assert [o.status.value for o in outcomes] == ["created"] * 7 + ["rejected"]
    assert summary.batches == 4
    assert table_counts(db_url)["clients"] == 7
