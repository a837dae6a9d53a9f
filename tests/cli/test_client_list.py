"""`bankon client list`: the portal's table, JSON and CSV, filters, pages and their errors."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import AGENT_INN, AGENT_NAME, R_PHARM, SEED_CLIENTS
from tests.helpers import query_rows

HEADERS = [
    "Краткое наименование организации",
    "ИНН",
    "Контакты",
    "Регион",
    "Акт. заявки",
    "Агент",
    "Статус клиента",
]
SUB_AGENT_INN = "5403123452"
NOW = "2026-12-03T12:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANKON_NOW", NOW)


def add_client(cli, name: str, inn: str, contact: str, email: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "client",
        "add",
        "--inn",
        inn,
        "--name",
        name,
        "--contact",
        contact,
        "--email",
        email,
        "--no-invite",
        *extra,
    )
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def seeded(cli, agent, db_url):  # type: ignore[no-untyped-def]
    """The guide's six clients; the two «Закреплен» ones attached as the guide shows them."""
    for name, inn, contact, _region, _status in SEED_CLIENTS:
        add_client(cli, name, inn, contact, f"c{inn}@example.ru")
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE clients SET status = 'attached' WHERE inn IN ('6149006872', '228999331903')"
            )
        )
    engine.dispose()
    return cli


def list_json(cli, *args: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    result = cli("client", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_empty_table(cli, agent):  # type: ignore[no-untyped-def]
    result = cli("client", "list")
    assert result.exit_code == 0
    assert result.stdout == "Всего клиентов: 0\nНет данных для отображения\n"
    assert list_json(cli) == {"total": 0, "page": 1, "pages": 0, "per_page": 10, "clients": []}


def test_table_is_the_portals(seeded):  # type: ignore[no-untyped-def]
    result = seeded("client", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Всего клиентов: 6"
    assert lines[-1] == "Страница 1 из 1"
    header = next(line for line in lines if "ИНН" in line)
    assert [h for h in re.split(r"\s{2,}", header.strip())] == HEADERS
    body = [line for line in lines if re.search(r"\d{10}", line)]
    assert len(body) == 6
    for line, (name, inn, contact, region, status) in zip(body, SEED_CLIENTS, strict=True):
        applications = "0" if status == "attached" else "-"
        label = "Закреплен" if status == "attached" else "На рассмотрении"
        cells = [cell for cell in re.split(r"\s{2,}", line.strip())]
        assert cells == [
            name,
            inn,
            f"{contact}, c{inn}@example.ru",
            region,
            applications,
            AGENT_NAME,
            label,
        ]
    # Piped output has no colours or other escape sequences.
    assert "\x1b" not in result.stdout


def test_json_contract(seeded):  # type: ignore[no-untyped-def]
    data = list_json(seeded, "--per-page", "25")
    assert list(data) == ["total", "page", "pages", "per_page", "clients"]
    assert (data["total"], data["page"], data["pages"], data["per_page"]) == (6, 1, 1, 25)
    first, last = data["clients"][0], data["clients"][-1]
    assert first == {
        "inn": "4346051140",
        "short_name": "Новая Техника",
        "contact_name": "Ксения Абрамова",
        "email": "c4346051140@example.ru",
        "phone": None,
        "region": "Кировская область",
        "legal_form": "legal_entity",
        "active_applications": None,
        "agent_inn": AGENT_INN,
        "agent_name": AGENT_NAME,
        "status": "pending",
        "status_label": "На рассмотрении",
        "created_at": NOW,
    }
    assert (last["inn"], last["legal_form"], last["status"], last["active_applications"]) == (
        "228999331903",
        "individual",
        "attached",
        0,
    )
    assert [c["region"] for c in data["clients"]] == [c[3] for c in SEED_CLIENTS]


def test_csv_has_the_json_keys(seeded):  # type: ignore[no-untyped-def]
    result = seeded("client", "list", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "inn",
        "short_name",
        "contact_name",
        "email",
        "phone",
        "region",
        "legal_form",
        "active_applications",
        "agent_inn",
        "agent_name",
        "status",
        "status_label",
        "created_at",
    ]
    assert len(rows) == 7
    assert rows[1][:3] == ["4346051140", "Новая Техника", "Ксения Абрамова"]
    assert rows[1][7] == ""  # no applications possible yet: empty, as null in JSON
    assert rows[6][7] == "0"
    assert rows[1][9] == AGENT_NAME  # the quotes in the agent's name survive CSV quoting


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--search", "техника"], ["Новая Техника"]),
        (["-s", "VIKTOR"], ["Крахмал"]),
        (["--search", "закреплен"], []),  # the status label is not searched
        (["--status", "pending"], ["Новая Техника", "Крахмал", "Ромашка", "Тест-С-Петербург"]),
        (["--status", "Закреплен"], ["Терновка", "ИП Тестов А.Ю."]),
        (["--status", "закреплён"], ["Терновка", "ИП Тестов А.Ю."]),
        (["--status", "pending", "--status", "attached"], [c[0] for c in SEED_CLIENTS]),
        (["--region", "77"], ["Ромашка"]),
        (["--region", "Москва"], ["Ромашка"]),
        (["--region", "г. Санкт-Петербург"], ["Тест-С-Петербург"]),
        (["--region", "алтайский"], ["ИП Тестов А.Ю."]),
        (["--region", "96"], []),
        (
            ["--sort", "-name"],
            [
                "Тест-С-Петербург",
                "Терновка",
                "Ромашка",
                "Новая Техника",
                "Крахмал",
                "ИП Тестов А.Ю.",
            ],
        ),
        (
            ["--sort", "inn"],
            [
                "ИП Тестов А.Ю.",
                "Крахмал",
                "Новая Техника",
                "Терновка",
                "Ромашка",
                "Тест-С-Петербург",
            ],
        ),
        (["--sort", "-created"], [c[0] for c in SEED_CLIENTS][::-1]),
        (
            ["--status", "pending", "--search", "а", "--sort", "-name"],
            ["Ромашка", "Новая Техника", "Крахмал"],
        ),
    ],
)
def test_filters_search_and_sorting(seeded, args, expected):  # type: ignore[no-untyped-def]
    data = list_json(seeded, "--per-page", "50", *args)
    assert [c["short_name"] for c in data["clients"]] == expected
    assert data["total"] == len(expected)


def test_agent_filter_takes_sub_agents_clients_too(cli, agent):  # type: ignore[no-untyped-def]
    assert (
        cli(
            "agent", "add", "--inn", SUB_AGENT_INN, "--name", "ИП Субагентов", "--parent", AGENT_INN
        ).exit_code
        == 0
    )
    other = "5003052454"
    assert cli("agent", "add", "--inn", other, "--name", "Чужой").exit_code == 0
    add_client(cli, "Своя", "4346051140", "А", "a@example.ru", "--agent", AGENT_INN)
    add_client(cli, "Субагентская", "3257031038", "Б", "b@example.ru", "--agent", SUB_AGENT_INN)
    add_client(cli, "Чужая", "7705923096", "В", "c@example.ru", "--agent", other)
    mine = list_json(cli, "--agent", AGENT_INN)
    assert [(c["short_name"], c["agent_inn"]) for c in mine["clients"]] == [
        ("Своя", AGENT_INN),
        ("Субагентская", SUB_AGENT_INN),
    ]
    assert [c["short_name"] for c in list_json(cli, "--agent", SUB_AGENT_INN)["clients"]] == [
        "Субагентская"
    ]
    assert list_json(cli)["total"] == 3


@pytest.mark.parametrize(
    ("count", "per_page", "page", "shown", "pages"),
    [
        (11, "10", "1", 10, 2),
        (11, "10", "2", 1, 2),
        (11, "25", "1", 11, 1),
        (25, "25", "1", 25, 1),
        (25, "10", "3", 5, 3),
    ],
)
def test_pages(cli, agent, app_ctx, count, per_page, page, shown, pages):  # type: ignore[no-untyped-def]
    from tests.helpers import bulk_clients

    bulk_clients(app_ctx, count)
    data = list_json(cli, "--per-page", per_page, "--page", page)
    assert (data["total"], data["page"], data["pages"], len(data["clients"])) == (
        count,
        int(page),
        pages,
        shown,
    )
    table = cli("client", "list", "--per-page", per_page, "--page", page).stdout
    assert table.splitlines()[0] == f"Всего клиентов: {count}"
    assert table.splitlines()[-1] == f"Страница {page} из {pages}"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--page", "3"], 2, "--page: страницы 3 нет, всего страниц: 1"),
        (["--page", "0"], 2, "--page: должно быть не меньше 1, а указано «0»"),
        (["--page", "abc"], 2, "--page: ожидается целое число, а указано «abc»"),
        (["--per-page", "20"], 2, "--per-page: допустимо 10, 25 или 50, а указано 20"),
        (
            ["--sort", "phone"],
            2,
            "--sort: «phone» — допустимо: created, name, inn, region, status (с «-» — по убыванию)",
        ),
        (
            ["--status", "archived"],
            2,
            "--status: «archived» — допустимо: pending, attached, «На рассмотрении», «Закреплен»",
        ),
        (["--region", "Нарния"], 2, "--region: регион «Нарния» не найден"),
        (
            ["--agent", "123"],
            2,
            "--agent: «123» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
            "(ИП или физическое лицо), а содержит 3",
        ),
        (
            ["--agent", "2310123454"],
            3,
            "Агент с ИНН 2310123454 не найден; список агентов: bankon agent list",
        ),
        (["--format", "xml"], 2, "--format: «xml» — допустимо: table, json, csv"),
    ],
)
def test_bad_options(seeded, args, code, message):  # type: ignore[no-untyped-def]
    result = seeded("client", "list", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"Ошибка: {message}\n")


def test_page_past_the_end_of_an_empty_table_is_just_empty(cli, agent):  # type: ignore[no-untyped-def]
    result = cli("client", "list", "--page", "2")
    assert result.exit_code == 0
    assert result.stdout == "Всего клиентов: 0\nНет данных для отображения\n"


def test_user_text_is_never_markup(cli, agent):  # type: ignore[no-untyped-def]
    add_client(
        cli, "[bold red]Ромашка[/]", "7705923096", "[link=http://x]Вадим[/link]", "v@example.ru"
    )
    out = cli("client", "list").stdout
    assert "[bold red]Ромашка[/]" in out
    assert "[link=http://x]Вадим[/link]" in out


def test_piped_table_never_cuts_an_inn_or_a_long_email(cli, agent):  # type: ignore[no-untyped-def]
    long_email = "glavnyi.buhgalter.otdela.rascheta." + "o" * 30 + "@" + "d" * 60 + ".example.ru"
    long_name = "Общество с ограниченной ответственностью " + "«Очень длинное наименование» " * 12
    add_client(cli, long_name, "228999331903", "Тестов " * 40, long_email)
    out = cli("client", "list").stdout
    row = next(line for line in out.splitlines() if "228999331903" in line)
    assert long_email in row
    assert " ".join(long_name.split()) in row
    assert (
        len([line for line in out.splitlines() if line.strip()]) == 5
    )  # total, head, rule, row, page


def test_list_does_not_change_the_database(seeded, db_url):  # type: ignore[no-untyped-def]
    before = query_rows(db_url, "SELECT * FROM clients ORDER BY id")
    list_json(seeded, "--search", "р-фарм")
    assert query_rows(db_url, "SELECT * FROM clients ORDER BY id") == before


def test_r_pharm_is_found_by_every_field(cli, agent):  # type: ignore[no-untyped-def]
    name, inn, contact, region, email = R_PHARM
    add_client(cli, name, inn, contact, email)
    for needle in ("Р-ФАРМ", "р-фарм", inn, inn[3:8], "ИГНАТЬЕВ", "R-PHARM.COM"):
        data = list_json(cli, "--search", needle)
        assert [(c["inn"], c["region"]) for c in data["clients"]] == [(inn, region)], needle
