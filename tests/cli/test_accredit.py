"""`bankon accredit`: submit (the default), verify and export, checked with openssl."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest

from tests.certs import (
    ENCRYPTION_ONLY_USAGE,
    make_ca,
    make_leaf,
    openssl_available,
    registration_link,
    write_p12,
)
from tests.conftest import FIXED_NOW, R_PHARM

INN = R_PHARM[1]
PASSPHRASE = "ключ Р-Фарм №1"


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture
def invited(cli, agent, home, monkeypatch) -> str:
    monkeypatch.setenv("BANKON_NOW", FIXED_NOW.isoformat())
    monkeypatch.setenv("ACCOUNT_PASS", "Осенний-клён-2026")
    monkeypatch.setenv("P12_PASS", PASSPHRASE)
    name, inn, contact, _region, email = R_PHARM
    added = cli(
        "client", "add", "--inn", inn, "--contact", contact, "--name", name, "--email", email
    )
    assert added.exit_code == 0, added.stderr
    return registration_link(home / "outbox")


@pytest.fixture
def registered(cli, invited) -> None:
    result = cli("register", invited, "--login", "rpharm", "--password-env", "ACCOUNT_PASS")
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def p12(tmp_path, ca):
    def make(name: str = "rpharm.p12", **options: object):
        return str(write_p12(tmp_path / name, make_leaf(ca, **options), PASSPHRASE))

    return make


def _status(cli) -> str:
    return json.loads(cli("client", "show", INN, "--format", "json").stdout)["status"]


def test_accredit_inn_is_submit_by_default(cli, registered, p12):
    result = cli("accredit", INN, "--certificate", p12(), "--password-env", "P12_PASS")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "Заявка на аккредитацию подписана ЭЦП (Игнатьев Валентин Петрович, Генеральный "
        "директор), подпись проверена. Клиент АО Р-ФАРМ (ИНН 7726311464) — «Закреплен»\n"
    )
    shown = json.loads(cli("client", "show", INN, "--format", "json").stdout)
    assert (shown["status"], shown["status_label"]) == ("attached", "Закреплен")
    assert shown["attached_at"] == "2026-12-03T12:00:00+00:00"
    assert shown["active_applications"] == 0
    assert shown["history"][-1]["to_status"] == "attached"


def test_options_first_and_explicit_submit_work_too(cli, registered, p12):
    result = cli(
        "accredit",
        "--certificate",
        p12(),
        "--password-env",
        "P12_PASS",
        INN,
        "--position",
        "Финансовый директор",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["inn"], data["status"], data["position"]) == (
        INN,
        "attached",
        "Финансовый директор",
    )
    assert data["signature_valid"] is True
    again = cli("accredit", "submit", INN, "--certificate", p12(), "--password-env", "P12_PASS")
    assert (again.exit_code, again.stderr) == (
        4,
        "Ошибка: Клиент с ИНН 7726311464 уже закреплён: аккредитация пройдена\n",
    )


def test_position_required_without_title_or_terminal(cli, registered, p12):
    path = p12(title=None)
    result = cli("accredit", INN, "--certificate", path, "--password-env", "P12_PASS")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: --position: Обязательно укажите должность владельца ЭЦП: в сертификате её "
        "нет, а терминала для вопроса нет\n",
    )
    assert _status(cli) == "pending"
    given = cli(
        "accredit",
        INN,
        "--certificate",
        path,
        "--password-env",
        "P12_PASS",
        "--position",
        "Главный бухгалтер",
        "-f",
        "json",
    )
    assert given.exit_code == 0, given.stderr
    assert json.loads(given.stdout)["position"] == "Главный бухгалтер"


def test_not_registered_client_is_refused(cli, invited, p12):
    result = cli("accredit", INN, "--certificate", p12(), "--password-env", "P12_PASS")
    assert (result.exit_code, result.stderr) == (
        4,
        "Ошибка: Клиент с ИНН 7726311464 ещё не зарегистрирован на портале: сначала "
        "регистрация по ссылке из приглашения (bankon register)\n",
    )


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (
            {"not_after": FIXED_NOW - timedelta(days=1)},
            "срок действия сертификата истёк 02.12.2026",
        ),
        (
            {"not_before": FIXED_NOW + timedelta(days=1)},
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
    ],
)
def test_unusable_certificate_is_refused(cli, registered, p12, options, problem):
    result = cli("accredit", INN, "--certificate", p12(**options), "--password-env", "P12_PASS")
    assert (result.exit_code, result.stderr) == (2, f"Ошибка: Сертификат: {problem}\n")
    assert _status(cli) == "pending"


def test_verify_is_a_subcommand_not_an_inn(cli, registered, p12):
    before = cli("accredit", "verify", INN)
    assert (before.exit_code, before.stderr) == (
        3,
        "Ошибка: У клиента с ИНН 7726311464 нет подписанной заявки на аккредитацию\n",
    )
    assert cli("accredit", INN, "--certificate", p12(), "--password-env", "P12_PASS").exit_code == 0
    result = cli("accredit", "verify", INN, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["valid"], data["holder_name"], data["position"]) == (
        True,
        "Игнатьев Валентин Петрович",
        "Генеральный директор",
    )
    table = cli("accredit", "verify", INN)
    assert table.stderr.startswith("Подпись действительна: АО Р-ФАРМ (ИНН 7726311464), подписал ")


needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl command not found")


@needs_openssl
@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_export_verifies_with_openssl(cli, registered, tmp_path, ca, key_type):
    path = write_p12(tmp_path / "k.p12", make_leaf(ca, key_type=key_type), PASSPHRASE)
    assert (
        cli("accredit", INN, "--certificate", str(path), "--password-env", "P12_PASS").exit_code
        == 0
    )
    out = tmp_path / "export" / "nested"
    result = cli("accredit", "export", INN, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    document = out / f"accreditation-{INN}.json"
    signature = out / f"accreditation-{INN}.json.p7s"
    certificate = out / f"accreditation-{INN}.cer"
    assert result.stdout.splitlines() == [str(document), str(signature), str(certificate)]
    assert json.loads(document.read_bytes())["client"]["inn"] == INN
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca.cert_pem())
    base = [
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(signature),
        "-content",
        str(document),
        "-out",
        str(tmp_path / "content.out"),
    ]
    for trust in (["-noverify"], ["-CAfile", str(ca_file), "-purpose", "any"]):
        checked = subprocess.run([*base, *trust], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        assert "Verification successful" in checked.stderr
        assert (tmp_path / "content.out").read_bytes() == document.read_bytes()
    document.write_bytes(document.read_bytes() + b" ")
    tampered = subprocess.run([*base, "-noverify"], capture_output=True, text=True)
    assert tampered.returncode != 0
    assert "Verification failure" in tampered.stderr


def test_on_a_terminal_passphrase_is_asked_again_and_position_edited(
    cli, registered, p12, monkeypatch
):
    import os

    from tests.certs import Terminal

    monkeypatch.delenv("P12_PASS")
    terminal = Terminal(["accredit", INN, "--certificate", p12()], dict(os.environ))
    terminal.expect("Пароль к файлу сертификата (пусто — без пароля):")
    terminal.send("не тот" + Terminal.ENTER)
    terminal.expect("Неверный пароль, попробуйте ещё раз")
    terminal.expect("Пароль к файлу сертификата (пусто — без пароля):")
    terminal.send(PASSPHRASE + Terminal.ENTER)
    terminal.expect("Должность владельца ЭЦП (Игнатьев Валентин Петрович): Генеральный директор")
    terminal.send(Terminal.CLEAR_LINE + "Председатель правления" + Terminal.ENTER)
    terminal.expect("«Закреплен»")
    assert terminal.finish() == 0
    assert PASSPHRASE not in terminal.screen()
    shown = json.loads(cli("client", "show", INN, "--format", "json").stdout)
    assert (shown["status"], shown["position"]) == ("attached", "Председатель правления")


def test_a_mistyped_subcommand_is_not_taken_for_an_inn(cli, registered):
    result = cli("accredit", "verfy", INN)
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: неизвестная команда verfy (возможно, verify); справка: bankon --help\n",
    )
