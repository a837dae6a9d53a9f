"""`bankon agent add|list`: agents and sub-agents (the portal's «Мои агенты»)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AGENT_INN, AGENT_NAME
from tests.helpers import table_counts

SUB_AGENT_INN = "5403123452"
SUB_SUB_AGENT_INN = "6601122332"
NOW = "2026-12-03T12:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANKON_NOW", NOW)


def test_agent_add(cli):  # type: ignore[no-untyped-def]
    result = cli("agent", "add", "--inn", f" {AGENT_INN} ", "--name", f"  {AGENT_NAME} ")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"Агент добавлен: {AGENT_NAME}, ИНН {AGENT_INN}\n"


def test_sub_agent_add_json(cli, agent):  # type: ignore[no-untyped-def]
    result = cli(
        "agent",
        "add",
        "--inn",
        SUB_AGENT_INN,
        "--name",
        "ИП Субагентов",
        "--parent",
        AGENT_INN,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "inn": SUB_AGENT_INN,
        "name": "ИП Субагентов",
        "parent_inn": AGENT_INN,
        "parent_name": AGENT_NAME,
        "clients": 0,
        "created_at": NOW,
    }
    table = cli(
        "agent", "add", "--inn", SUB_SUB_AGENT_INN, "--name", "ИП Второй", "--parent", SUB_AGENT_INN
    )
    assert table.stderr == (
        f"Агент добавлен: ИП Второй, ИНН {SUB_SUB_AGENT_INN} (субагент ИП Субагентов)\n"
    )


def test_agent_list(cli, agent):  # type: ignore[no-untyped-def]
    assert (
        cli(
            "agent", "add", "--inn", SUB_AGENT_INN, "--name", "ИП Субагентов", "--parent", AGENT_INN
        ).exit_code
        == 0
    )
    assert (
        cli(
            "client",
            "add",
            "--inn",
            "7726311464",
            "--contact",
            "И",
            "--name",
            "АО",
            "--email",
            "a@example.ru",
            "--agent",
            AGENT_INN,
            "--no-invite",
        ).exit_code
        == 0
    )
    data = json.loads(cli("agent", "list", "--format", "json").stdout)
    assert data == {
        "total": 2,
        "agents": [
            {
                "inn": SUB_AGENT_INN,
                "name": "ИП Субагентов",
                "parent_inn": AGENT_INN,
                "parent_name": AGENT_NAME,
                "clients": 0,
                "created_at": NOW,
            },
            {
                "inn": AGENT_INN,
                "name": AGENT_NAME,
                "parent_inn": None,
                "parent_name": None,
                "clients": 1,
                "created_at": NOW,
            },
        ],
    }
    csv_out = cli("agent", "list", "--format", "csv").stdout
    assert csv_out.splitlines() == [
        "inn,name,parent_inn,clients",
        f"{SUB_AGENT_INN},ИП Субагентов,{AGENT_INN},0",
        f'{AGENT_INN},"ООО ""Региональный тестовый центр""",,1',
    ]
    table = cli("agent", "list").stdout.splitlines()
    assert table[0] == "Всего агентов: 2"
    assert any(
        line.split() == ["ИП", "Субагентов", SUB_AGENT_INN, *AGENT_NAME.split(), "0"]
        for line in table
    )


def test_agent_list_empty(cli):  # type: ignore[no-untyped-def]
    result = cli("agent", "list")
    assert (result.exit_code, result.stdout) == (
        0,
        "Всего агентов: 0\nНет данных для отображения\n",
    )


LENGTH = "должен содержать 10 цифр (юридическое лицо) или 12 цифр (ИП или физическое лицо)"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--inn", AGENT_INN, "--name", "Дубль"], 4, f"Агент с ИНН {AGENT_INN} уже есть"),
        (
            ["--inn", "7712345670", "--name", "Х"],
            2,
            "ИНН агента: «7712345670» не проходит проверку контрольной суммы",
        ),
        (["--inn", "123", "--name", "Х"], 2, f"ИНН агента: «123» {LENGTH}, а содержит 3"),
        (["--inn", SUB_AGENT_INN, "--name", "   "], 2, "Наименование агента: не заполнено"),
        (
            ["--inn", SUB_AGENT_INN, "--name", "Х", "--parent", "2310123454"],
            3,
            "Агент с ИНН 2310123454 не найден; список агентов: bankon agent list",
        ),
        (
            ["--inn", SUB_AGENT_INN, "--name", "Х", "--parent", "231012345"],
            2,
            f"ИНН головного агента: «231012345» {LENGTH}, а содержит 9",
        ),
        (
            ["--inn", AGENT_INN, "--name", "Х", "--parent", AGENT_INN],
            2,
            "--parent: агент не может быть своим собственным головным агентом",
        ),
        (["--inn", SUB_AGENT_INN], 2, "не указан обязательный параметр --name"),
        (["--name", "Х"], 2, "не указан обязательный параметр --inn"),
    ],
)
def test_agent_add_errors(cli, agent, db_url, args, code, message):  # type: ignore[no-untyped-def]
    before = table_counts(db_url)
    result = cli("agent", "add", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"Ошибка: {message}\n")
    assert table_counts(db_url) == before
