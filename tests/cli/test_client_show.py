"""`bankon client show INN`: every stored field, the invitation's state and the history."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.conftest import AGENT_INN, AGENT_NAME, R_PHARM

NOW = "2026-12-03T12:00:00+00:00"
NAME, INN, CONTACT, REGION, EMAIL = R_PHARM


@pytest.fixture(autouse=True)
def moscow_operator(env: dict[str, str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fixed clock and an operator's terminal in Moscow time."""
    monkeypatch.setenv("BANKON_NOW", NOW)
    monkeypatch.setenv("TZ", "Europe/Moscow")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def r_pharm(cli, agent):  # type: ignore[no-untyped-def]
    result = cli(
        "client",
        "add",
        "--inn",
        INN,
        "--contact",
        CONTACT,
        "--name",
        NAME,
        "--email",
        EMAIL,
        "--phone",
        "+7 495 956-79-37",
    )
    assert result.exit_code == 0, result.stderr
    return INN


def test_show_json_has_every_field_the_invitation_and_history(cli, r_pharm):  # type: ignore[no-untyped-def]
    result = cli("client", "show", r_pharm, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
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
        "full_name": None,
        "ogrn": None,
        "holder_name": None,
        "position": None,
        "login": None,
        "registered_at": None,
        "attached_at": None,
        "updated_at": NOW,
        "reminders_paused": False,
        "invitation": {
            "status": "sent",
            "status_label": "отправлено",
            "created_at": NOW,
            "expires_at": "2026-12-17T12:00:00+00:00",
            "last_sent_at": NOW,
            "times_sent": 1,
            "reminders_sent": 0,
            "used_at": None,
        },
        "history": [
            {
                "at": NOW,
                "kind": "created",
                "from_status": None,
                "to_status": "pending",
                "detail": f"Клиент добавлен агентом {AGENT_NAME}",
                "actor": "",
            },
            {
                "at": NOW,
                "kind": "invited",
                "from_status": None,
                "to_status": None,
                "detail": "Приглашение поставлено в очередь на info@r-pharm.com",
                "actor": "",
            },
        ],
    }


def test_show_table_for_people(cli, r_pharm):  # type: ignore[no-untyped-def]
    result = cli("client", "show", "7726 311 464")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    fields = {}
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 2:
            fields[cells[0]] = cells[1]
    assert fields["Краткое наименование организации"] == NAME
    assert fields["ИНН"] == INN
    assert fields["Форма деятельности"] == "Юридическое лицо"
    assert fields["ФИО контактного лица"] == CONTACT
    assert fields["Email"] == EMAIL
    assert fields["Телефон"] == "+74959567937"
    assert fields["Регион"] == "г. Москва"
    assert fields["Агент"] == f"{AGENT_NAME} (ИНН {AGENT_INN})"
    assert fields["Статус клиента"] == "На рассмотрении"
    assert fields["Акт. заявки"] == "-"
    assert fields["Добавлен"] == "03.12.2026 15:00"
    assert fields["Зарегистрирован"] == "—"
    assert (
        "Приглашение: отправлено; отправлено 03.12.2026 15:00; действует до 17.12.2026 15:00; "
        "отправлено раз: 1; напоминаний: 0"
    ) in out
    assert "03.12.2026 15:00   Клиент добавлен агентом" in out
    assert "Приглашение поставлено в очередь на info@r-pharm.com" in out
    assert "\x1b" not in out


def test_show_without_invitation(cli, agent):  # type: ignore[no-untyped-def]
    assert (
        cli(
            "client",
            "add",
            "--inn",
            INN,
            "--contact",
            CONTACT,
            "--name",
            NAME,
            "--email",
            EMAIL,
            "--no-invite",
        ).exit_code
        == 0
    )
    out = cli("client", "show", INN).stdout
    assert "Приглашение: не отправлялось" in out
    assert json.loads(cli("client", "show", INN, "-f", "json").stdout)["invitation"] is None


def test_show_never_prints_the_token(cli, r_pharm, home):  # type: ignore[no-untyped-def]
    [eml] = (home / "outbox").glob("*.eml")
    token = re.search(r"token=([A-Za-z0-9_-]+)", eml.read_text()).group(1)  # type: ignore[union-attr]
    for fmt in ("table", "json"):
        assert token not in cli("client", "show", INN, "-f", fmt).stdout


@pytest.mark.parametrize(
    ("inn", "code", "message"),
    [
        ("4346051140", 3, "Клиент с ИНН 4346051140 не найден"),
        ("7726311465", 2, "ИНН: «7726311465» не проходит проверку контрольной суммы"),
        ("77-26", 2, "ИНН: «77-26» должен состоять только из цифр"),
    ],
)
def test_show_errors(cli, r_pharm, inn, code, message):  # type: ignore[no-untyped-def]
    result = cli("client", "show", inn)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"Ошибка: {message}\n")


def test_show_without_inn(cli, agent):  # type: ignore[no-untyped-def]
    result = cli("client", "show")
    assert (result.exit_code, result.stderr) == (2, "Ошибка: не указан обязательный аргумент INN\n")
