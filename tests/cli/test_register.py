"""`bankon register` without a terminal: every field by flag, refusals logged, nothing leaked."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select

from bankon_cli.db.models import ClientEvent
from tests.certs import make_ca, make_leaf, registration_link, write_p12
from tests.conftest import FIXED_NOW, R_PHARM

PASSWORD = "Весенний-ручей-77"
PASSPHRASE = "фраза для p12"


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture
def link(cli, agent, home, monkeypatch) -> str:
    monkeypatch.setenv("BANKON_NOW", FIXED_NOW.isoformat())
    monkeypatch.setenv("ACCOUNT_PASS", PASSWORD)
    monkeypatch.setenv("P12_PASS", PASSPHRASE)
    name, inn, contact, _region, email = R_PHARM
    added = cli(
        "client", "add", "--inn", inn, "--contact", contact, "--name", name, "--email", email
    )
    assert added.exit_code == 0, added.stderr
    return registration_link(home / "outbox")


def _show(cli) -> dict:
    result = cli("client", "show", R_PHARM[1], "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_register_without_certificate_by_flags(cli, link):
    result = cli(
        "register",
        link,
        "--no-certificate",
        "--contact",
        "Игнатьев Валентин Петрович",
        "--phone",
        "+7 (495) 123-45-67",
        "--login",
        "RPharm",
        "--password-env",
        "ACCOUNT_PASS",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["login"] == "rpharm"
    assert data["contact_name"] == "Игнатьев Валентин Петрович"
    assert data["phone"] == "+74951234567"
    assert (data["status"], data["status_label"]) == ("pending", "На рассмотрении")
    assert data["with_certificate"] is False
    assert data["registered_at"] == "2026-12-03T12:00:00+00:00"
    shown = _show(cli)
    assert shown["login"] == "rpharm"
    assert shown["status"] == "pending"
    assert shown["invitation"]["status"] == "used"
    assert shown["history"][-1]["detail"] == (
        "Регистрация на портале завершена без сертификата ЭЦП; логин rpharm"
    )
    assert 'Приглашение агента ООО "Региональный тестовый центр": АО Р-ФАРМ' in result.stderr


def test_register_with_certificate_prefills_from_it(cli, link, tmp_path, ca):
    path = write_p12(tmp_path / "rpharm.p12", make_leaf(ca, key_type="rsa"), PASSPHRASE)
    result = cli(
        "register",
        link,
        "--certificate",
        str(path),
        "--certificate-password-env",
        "P12_PASS",
        "--login",
        "rpharm",
        "--password-env",
        "ACCOUNT_PASS",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "Клиент зарегистрирован с сертификатом ЭЦП: АО Р-ФАРМ, ИНН 7726311464, логин rpharm; "
        "статус «На рассмотрении». Следующий шаг — аккредитация: bankon accredit 7726311464 "
        "--certificate ФАЙЛ.p12"
    )
    shown = _show(cli)
    assert shown["contact_name"] == "Игнатьев Валентин Петрович"
    assert shown["full_name"] == 'Акционерное общество "Р-Фарм"'
    assert shown["ogrn"] == "1037726001234"
    assert shown["holder_name"] == "Игнатьев Валентин Петрович"
    assert shown["position"] == "Генеральный директор"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--password-env", "ACCOUNT_PASS"],
            "Ошибка: --login: не указан (без терминала bankon ничего не спрашивает)\n",
        ),
        (
            ["--login", "rpharm"],
            "Ошибка: --password-env: не указан пароль учётной записи (без терминала bankon "
            "ничего не спрашивает)\n",
        ),
        (
            ["--login", "rpharm", "--password-env", "NO_SUCH_VARIABLE"],
            "Ошибка: --password-env: переменная окружения NO_SUCH_VARIABLE не задана\n",
        ),
        (
            ["--login", "rpharm", "--password-env", "ACCOUNT_PASS", "--email", "info@@r-pharm"],
            "Ошибка: Email: «info@@r-pharm» — больше одного знака @\n",
        ),
        (
            ["--certificate", "x.p12", "--no-certificate"],
            "Ошибка: --no-certificate: нельзя вместе с --certificate\n",
        ),
    ],
)
def test_missing_or_bad_fields_change_nothing(cli, link, args, message):
    result = cli("register", link, *args)
    assert (result.exit_code, result.stderr.splitlines(keepends=True)[-1]) == (2, message)
    shown = _show(cli)
    assert shown["login"] is None and shown["registered_at"] is None
    assert shown["invitation"]["status"] == "sent"


def test_certificate_of_another_company_is_refused_and_logged(cli, link, tmp_path, ca):
    path = write_p12(tmp_path / "other.p12", make_leaf(ca, organisation_inn="7705923096"), "")
    result = cli(
        "register",
        link,
        "--certificate",
        str(path),
        "--login",
        "rpharm",
        "--password-env",
        "ACCOUNT_PASS",
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Ошибка: Сертификат: сертификат выдан на ИНН 7705923096, а клиент — ИНН 7726311464: "
        "нужен сертификат этой организации"
    )
    shown = _show(cli)
    assert shown["login"] is None
    assert shown["history"][-1]["detail"].startswith("Неудачная попытка регистрации №1: Сертификат")


def test_used_link_is_refused_counted_and_logged(cli, link):
    args = ["--login", "rpharm", "--password-env", "ACCOUNT_PASS"]
    assert cli("register", link, *args).exit_code == 0
    for _attempt in (1, 2):
        again = cli("register", link, "--login", "other", "--password-env", "ACCOUNT_PASS")
        assert (again.exit_code, again.stdout, again.stderr) == (
            4,
            "",
            "Ошибка: приглашение уже использовано: регистрация по нему завершена\n",
        )
    details = [event["detail"] for event in _show(cli)["history"]]
    assert details[-2:] == [
        f"Неудачная попытка регистрации №{n}: приглашение уже использовано: регистрация по "
        "нему завершена"
        for n in (1, 2)
    ]
    assert _show(cli)["login"] == "rpharm"


def test_unknown_token_is_refused_and_logged_without_client(cli, link, db_url):
    token = link.rsplit("=", 1)[1]
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    result = cli("register", forged, "--login", "x-user", "--password-env", "ACCOUNT_PASS")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: ссылка приглашения недействительна: проверьте, что она скопирована целиком\n",
    )
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(ClientEvent.client_id, ClientEvent.detail).where(
                ClientEvent.kind == "registration_failed"
            )
        ).all()
    engine.dispose()
    assert rows == [
        (
            None,
            "Неудачная попытка регистрации №1: ссылка приглашения недействительна: проверьте, "
            "что она скопирована целиком",
        )
    ]
    assert forged not in rows[0][1]


def test_on_a_terminal_everything_is_asked(cli, link, monkeypatch):
    import os

    from tests.certs import Terminal

    terminal = Terminal(["register", link], dict(os.environ))
    terminal.expect("Способ регистрации:")
    terminal.send(Terminal.DOWN + Terminal.ENTER)  # «Без сертификата ЭЦП»
    terminal.expect("ФИО контактного лица: Игнатьев В.")
    terminal.send(Terminal.CLEAR_LINE + "Игнатьев Валентин Петрович" + Terminal.ENTER)
    terminal.expect("Email: info@r-pharm.com")
    terminal.send(Terminal.ENTER)
    terminal.expect("Телефон:")
    terminal.send("8 495 123-45-67" + Terminal.ENTER)
    terminal.expect("Логин:")
    terminal.send("RPharm" + Terminal.ENTER)
    terminal.expect("? Пароль:")
    terminal.send(PASSWORD + Terminal.ENTER)
    terminal.expect("Пароль ещё раз:")
    terminal.send(PASSWORD + "x" + Terminal.ENTER)
    terminal.expect("Пароли не совпадают, введите ещё раз")
    terminal.expect("? Пароль:")
    terminal.send(PASSWORD + Terminal.ENTER)
    terminal.expect("Пароль ещё раз:")
    terminal.send(PASSWORD + Terminal.ENTER)
    terminal.expect("Клиент зарегистрирован без сертификата ЭЦП")
    assert terminal.finish() == 0
    assert PASSWORD not in terminal.screen()
    shown = _show(cli)
    assert (shown["contact_name"], shown["phone"], shown["login"]) == (
        "Игнатьев Валентин Петрович",
        "+74951234567",
        "rpharm",
    )
