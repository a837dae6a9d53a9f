"""`bankon client add`: the guide's example end to end, and every bad input refused cleanly."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import AGENT_INN, AGENT_NAME, R_PHARM
from tests.helpers import query_rows, table_counts

NOW = "2026-12-03T12:00:00+00:00"
OTHER_AGENT_INN = "5003052454"
NAME, INN, CONTACT, REGION, EMAIL = R_PHARM
GUIDE_ARGS = ("--inn", INN, "--contact", CONTACT, "--name", NAME, "--email", EMAIL)


@pytest.fixture(autouse=True)
def fixed_now(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANKON_NOW", NOW)


def add(cli, *args: str):  # type: ignore[no-untyped-def]
    return cli("client", "add", *args)


def eml_files(home: Path) -> list[Path]:
    return sorted((home / "outbox").glob("*.eml"))


def test_guide_example_adds_pending_client_and_writes_the_invitation(cli, agent, home, db_url):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»\n"
        "Приглашение отправлено на info@r-pharm.com\n"
    )
    counts = table_counts(db_url)
    assert (counts["clients"], counts["outbox"], counts["invitations"]) == (1, 1, 1)
    [outbox] = query_rows(db_url, "SELECT status, attempts, last_error, sent_at FROM outbox")
    assert (outbox["status"], outbox["attempts"], outbox["last_error"]) == ("sent", 1, None)
    [invitation] = query_rows(db_url, "SELECT times_sent FROM invitations")
    assert invitation["times_sent"] == 1
    [eml] = eml_files(home)
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Приглашение на портал Банкон24"
    assert message["To"].addresses[0].display_name == CONTACT
    assert message["To"].addresses[0].addr_spec == EMAIL
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [token] = re.findall(r"https://portal\.example/register\?token=([A-Za-z0-9_-]+)", text)
    assert f'href="https://portal.example/register?token={token}"' in html
    assert len(token) >= 22  # at least 128 bits
    hashes = [
        row["token_hash"] for row in query_rows(db_url, "SELECT token_hash FROM invite_tokens")
    ]
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()]
    # The token itself is stored nowhere.
    for row in query_rows(db_url, "SELECT subject, body_text, body_html FROM outbox"):
        assert all(token not in value for value in row.values())
    assert token not in result.stdout + result.stderr


def test_json_output_is_one_client_object(cli, agent):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS, "--phone", "+7 (495) 956-79-37", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "inn": INN,
        "short_name": NAME,
        "contact_name": CONTACT,
        "email": EMAIL,
        "phone": "+74959567937",
        "region": REGION,
        "legal_form": "legal_entity",
        "active_applications": None,
        "agent_inn": AGENT_INN,
        "agent_name": AGENT_NAME,
        "status": "pending",
        "status_label": "На рассмотрении",
        "created_at": NOW,
    }


def test_no_invite_adds_the_client_without_mail(cli, agent, home, db_url):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS, "--no-invite")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»\n"
        "Приглашение не отправлялось (--no-invite)\n"
    )
    counts = table_counts(db_url)
    assert (counts["clients"], counts["outbox"], counts["invitations"]) == (1, 0, 0)
    assert eml_files(home) == []


def test_idn_email_is_stored_in_unicode_and_addressed_in_punycode(cli, agent, home, db_url):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS[:6], "--email", "Info@ПРИМЕР.РФ", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["email"] == "info@пример.рф"
    [eml] = eml_files(home)
    raw = eml.read_bytes()
    assert b"info@xn--e1afmkfd.xn--p1ai" in raw
    assert "пример".encode() not in raw.split(b"\n\n", 1)[0]  # headers are ASCII


def test_duplicate_email_is_added_with_a_warning(cli, agent, db_url):  # type: ignore[no-untyped-def]
    assert add(cli, *GUIDE_ARGS, "--no-invite").exit_code == 0
    result = add(
        cli,
        "--inn",
        "4346051140",
        "--contact",
        "Ксения Абрамова",
        "--name",
        "Новая Техника",
        "--email",
        "INFO@R-Pharm.com",
        "--no-invite",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "Внимание: Email уже указан у других клиентов (ИНН 7726311464); клиент всё равно добавлен"
    )
    assert table_counts(db_url)["clients"] == 2


def test_agent_from_flag_environment_and_config(cli, agent, db_url, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    assert cli("agent", "add", "--inn", OTHER_AGENT_INN, "--name", "ООО «Другой»").exit_code == 0
    seed = [
        ("4346051140", "Новая Техника", ("--agent", OTHER_AGENT_INN)),
        ("3257031038", "Крахмал", ()),
        ("7705923096", "Ромашка", ()),
    ]
    # --agent
    result = add(
        cli,
        "--inn",
        seed[0][0],
        "--contact",
        "К",
        "--name",
        seed[0][1],
        "--email",
        "a@example.ru",
        "--no-invite",
        *seed[0][2],
        "-f",
        "json",
    )
    assert json.loads(result.stdout)["agent_inn"] == OTHER_AGENT_INN
    # BANKON_AGENT
    monkeypatch.setenv("BANKON_AGENT", OTHER_AGENT_INN)
    result = add(
        cli,
        "--inn",
        seed[1][0],
        "--contact",
        "К",
        "--name",
        seed[1][1],
        "--email",
        "b@example.ru",
        "--no-invite",
        "-f",
        "json",
    )
    assert json.loads(result.stdout)["agent_inn"] == OTHER_AGENT_INN
    monkeypatch.delenv("BANKON_AGENT")
    # agent.inn in the config file
    config = tmp_path / "bankon.toml"
    config.write_text(f'[agent]\ninn = "{AGENT_INN}"\n', encoding="utf-8")
    result = cli(
        "--config",
        str(config),
        "client",
        "add",
        "--inn",
        seed[2][0],
        "--contact",
        "К",
        "--name",
        seed[2][1],
        "--email",
        "c@example.ru",
        "--no-invite",
        "-f",
        "json",
    )
    assert json.loads(result.stdout)["agent_inn"] == AGENT_INN


GOOD = {"--inn": INN, "--contact": CONTACT, "--name": NAME, "--email": EMAIL}
LENGTH_HINT = "должен содержать 10 цифр (юридическое лицо) или 12 цифр (ИП или физическое лицо)"
NO_TERMINAL = "(без терминала bankon ничего не спрашивает)"


def _args(**changes: str | None) -> list[str]:
    values = dict(GOOD)
    for key, value in changes.items():
        values["--" + key] = value  # type: ignore[assignment]
    return [part for flag, value in values.items() if value is not None for part in (flag, value)]


BAD_INPUTS = [
    (
        _args(inn=None, contact=None, name=None, email=None),
        2,
        f"не указаны обязательные параметры --inn, --contact, --name, --email {NO_TERMINAL}",
    ),
    (_args(email=None), 2, f"не указан обязательный параметр --email {NO_TERMINAL}"),
    (
        _args(inn=None, name=None),
        2,
        f"не указаны обязательные параметры --inn, --name {NO_TERMINAL}",
    ),
    (_args(contact="   "), 2, f"не указан обязательный параметр --contact {NO_TERMINAL}"),
    (_args(inn=""), 2, f"не указан обязательный параметр --inn {NO_TERMINAL}"),
    (_args(inn="7726311465"), 2, "ИНН: «7726311465» не проходит проверку контрольной суммы"),
    (_args(inn="228999331904"), 2, "ИНН: «228999331904» не проходит проверку контрольной суммы"),
    (_args(inn="77263114"), 2, f"ИНН: «77263114» {LENGTH_HINT}, а содержит 8"),
    (_args(inn="77263114645"), 2, f"ИНН: «77263114645» {LENGTH_HINT}, а содержит 11"),
    (_args(inn="77-26-311464"), 2, "ИНН: «77-26-311464» должен состоять только из цифр"),
    (_args(inn="ИНН 7726311464"), 2, "ИНН: «ИНН7726311464» должен состоять только из цифр"),
    (_args(email="info@"), 2, "Email: «info@» — нет домена после @"),
    (_args(email="info.r-pharm.com"), 2, "Email: «info.r-pharm.com» — нет знака @"),
    (
        _args(email="Игнатьев <info@r-pharm.com>"),
        2,
        "Email: «Игнатьев <info@r-pharm.com>» — укажите только адрес, без имени и угловых скобок",
    ),
    (_args(name="Р" * 501), 2, "Наименование компании: длиннее 500 символов"),
    (_args(contact="Игнатьев\x00В."), 2, "ФИО контактного лица: содержит управляющие символы"),
    (
        [*_args(), "--phone", "позвонить"],
        2,
        "Телефон: «позвонить» — допустимы только цифры, пробелы, +, -, ( )",
    ),
    (
        _args(inn="7726311465", email="info@"),
        2,
        "ИНН: «7726311465» не проходит проверку контрольной суммы; "
        "Email: «info@» — нет домена после @",
    ),
    ([*_args(), "--agent", "123"], 2, f"--agent: «123» {LENGTH_HINT}, а содержит 3"),
    (
        [*_args(), "--agent", "2310123454"],
        3,
        "Агент с ИНН 2310123454 не найден; список агентов: bankon agent list",
    ),
    ([*_args(), "--format", "xml"], 2, "--format: «xml» — допустимо: table, json"),
    ([*_args(), "--bogus"], 2, "неизвестный параметр --bogus"),
    ([*_args(), "--inn"], 2, "у параметра --inn не указано значение"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_INPUTS)
def test_bad_input_is_refused_and_nothing_is_written(cli, agent, db_url, home, args, code, message):  # type: ignore[no-untyped-def]
    before = table_counts(db_url)
    result = add(cli, *args)
    assert (result.exit_code, result.stderr) == (code, f"Ошибка: {message}\n")
    assert result.stdout == ""
    after = table_counts(db_url)
    assert after == before
    assert (after["clients"], after["outbox"]) == (0, 0)
    assert eml_files(home) == []


def test_existing_inn_of_the_same_agent_is_a_conflict(cli, agent, db_url, home):  # type: ignore[no-untyped-def]
    assert add(cli, *GUIDE_ARGS).exit_code == 0
    before = table_counts(db_url)
    result = add(
        cli,
        "--inn",
        "7726 311464",
        "--contact",
        "Другой",
        "--name",
        "Другое",
        "--email",
        "other@example.ru",
    )
    assert result.exit_code == 4
    assert result.stderr == (
        "Ошибка: Клиент с ИНН 7726311464 уже есть в списке агента: «АО Р-ФАРМ», "
        "статус «На рассмотрении»\n"
    )
    assert table_counts(db_url) == before
    assert len(eml_files(home)) == 1


def test_existing_inn_of_another_agent_is_a_conflict_that_reveals_nothing(cli, agent, db_url):  # type: ignore[no-untyped-def]
    other_name = "ООО «Тайный агент»"
    assert cli("agent", "add", "--inn", OTHER_AGENT_INN, "--name", other_name).exit_code == 0
    assert add(cli, *GUIDE_ARGS, "--agent", OTHER_AGENT_INN).exit_code == 0
    before = table_counts(db_url)
    result = add(cli, *GUIDE_ARGS, "--agent", AGENT_INN)
    assert result.exit_code == 4
    assert result.stderr == "Ошибка: Клиент с ИНН 7726311464 уже закреплён за другим агентом\n"
    assert OTHER_AGENT_INN not in result.stderr and "Тайный" not in result.stderr
    assert table_counts(db_url) == before


def test_no_agent_in_the_database(cli, db_url):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS)
    assert result.exit_code == 2
    assert result.stderr == (
        "Ошибка: Агент: в базе нет ни одного агента; добавьте его: "
        "bankon agent add --inn ИНН --name НАИМЕНОВАНИЕ\n"
    )
    assert table_counts(db_url)["clients"] == 0


def test_several_agents_and_none_chosen(cli, agent, db_url):  # type: ignore[no-untyped-def]
    assert cli("agent", "add", "--inn", OTHER_AGENT_INN, "--name", "Другой").exit_code == 0
    result = add(cli, *GUIDE_ARGS)
    assert result.exit_code == 2
    assert result.stderr == (
        "Ошибка: Агент: не выбран: укажите --agent ИНН, переменную BANKON_AGENT или agent.inn "
        "в конфигурации\n"
    )
    assert table_counts(db_url)["clients"] == 0


def test_unknown_configured_agent(cli, agent, db_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BANKON_AGENT", "2310123454")
    result = add(cli, *GUIDE_ARGS)
    assert (result.exit_code, result.stderr) == (
        3,
        "Ошибка: Агент с ИНН 2310123454 не найден; список агентов: bankon agent list\n",
    )


class _NoSuchDomain:
    def __init__(self) -> None:
        self.queries: list[str] = []


@pytest.fixture
def dns_spy(monkeypatch: pytest.MonkeyPatch) -> _NoSuchDomain:
    import dns.resolver

    spy = _NoSuchDomain()

    def resolve(_self: object, name: object, *args: object, **kwargs: object) -> object:
        spy.queries.append(str(name))
        raise dns.resolver.NXDOMAIN

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", resolve)
    return spy


def test_no_dns_lookup_unless_asked(cli, agent, dns_spy):  # type: ignore[no-untyped-def]
    assert add(cli, *GUIDE_ARGS, "--no-invite").exit_code == 0
    assert dns_spy.queries == []


def test_check_deliverability_flag_refuses_a_domain_without_mail(cli, agent, db_url, dns_spy):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS, "--check-deliverability")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: Email: «info@r-pharm.com» — домен не существует\n",
    )
    assert dns_spy.queries
    assert table_counts(db_url)["clients"] == 0


def test_check_deliverability_from_the_config(cli, agent, db_url, dns_spy, tmp_path):  # type: ignore[no-untyped-def]
    config = tmp_path / "bankon.toml"
    config.write_text("[email]\ncheck_deliverability = true\n", encoding="utf-8")
    result = cli("--config", str(config), "client", "add", *GUIDE_ARGS)
    assert result.exit_code == 2
    assert dns_spy.queries
    assert table_counts(db_url)["outbox"] == 0


def test_markup_in_names_is_stored_and_shown_literally(cli, agent):  # type: ignore[no-untyped-def]
    result = add(
        cli,
        "--inn",
        INN,
        "--contact",
        "[red]Игнатьев[/red]",
        "--name",
        "[bold]АО[/bold]",
        "--email",
        EMAIL,
        "--no-invite",
    )
    assert result.exit_code == 0, result.stderr
    assert "Клиент добавлен: [bold]АО[/bold], ИНН 7726311464" in result.stderr
    listing = cli("client", "list")
    assert "[bold]АО[/bold]" in listing.stdout and "[red]Игнатьев[/red]" in listing.stdout


def test_outbox_folder_that_cannot_be_created_keeps_the_client(cli, agent, db_url, tmp_path):  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    config = tmp_path / "bankon.toml"
    config.write_text(f'[mail]\noutbox_dir = "{blocker / "outbox"}"\n', encoding="utf-8")
    result = cli("--config", str(config), "client", "add", *GUIDE_ARGS)
    assert result.exit_code == 1
    assert result.stderr == (
        "Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»\n"
        "Ошибка: клиент сохранён, но приглашение не отправлено: Not a directory: "
        f"{blocker / 'outbox'}. Письмо осталось в очереди; повторить: bankon mail send\n"
    )
    counts = table_counts(db_url)
    assert (counts["clients"], counts["outbox"]) == (1, 1)


def test_cyrillic_mailbox_eml_has_utf8_headers(cli, agent, home):  # type: ignore[no-untyped-def]
    result = add(cli, *GUIDE_ARGS[:6], "--email", "бухгалтерия@пример.рф")
    assert result.exit_code == 0, result.stderr
    [eml] = eml_files(home)
    message = email.message_from_string(eml.read_text("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "бухгалтерия@xn--e1afmkfd.xn--p1ai"
    assert message["To"].addresses[0].display_name == CONTACT


def test_unexpected_error_is_one_line_and_debug_shows_no_local_variables(cli, agent, monkeypatch):  # type: ignore[no-untyped-def]
    import bankon_cli.services.clients as clients_service

    def broken_add_client(*args: object, **kwargs: object) -> None:
        smtp_password = "hunter2-in-a-local"  # noqa: F841 - what a traceback must not show
        raise RuntimeError("boom")

    monkeypatch.setattr(clients_service, "add_client", broken_add_client)
    plain = add(cli, *GUIDE_ARGS)
    assert (plain.exit_code, plain.stderr) == (
        1,
        "Ошибка: непредвиденная ошибка RuntimeError; подробности: bankon --debug …\n",
    )
    debug = cli("--debug", "client", "add", *GUIDE_ARGS)
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: boom" in debug.stderr
    assert "hunter2-in-a-local" not in debug.stderr
    assert debug.stderr.endswith(
        "Ошибка: непредвиденная ошибка RuntimeError; подробности: bankon --debug …\n"
    )
