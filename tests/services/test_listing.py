"""The client table: pages, search in every script, filters over sub-agents, sorting."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import update

from bankon_cli.context import AppContext
from bankon_cli.db.models import Client
from bankon_cli.domain.statuses import ClientStatus
from bankon_cli.services.agents import agent_with_subagents, find_agent
from bankon_cli.services.listing import ClientPage, ClientQuery, list_clients
from tests.conftest import AGENT_INN, R_PHARM, SEED_CLIENTS
from tests.helpers import bulk_clients, service_agent, service_client

SUB_AGENT_INN = "5403123452"
SUB_SUB_AGENT_INN = "6601122332"
OTHER_AGENT_INN = "5003052454"


def page_of(app_ctx: AppContext, **query: object) -> ClientPage:
    with app_ctx.session_factory() as session:
        return list_clients(session, ClientQuery(**query))  # type: ignore[arg-type]


def names(page: ClientPage) -> list[str]:
    return [row.short_name for row in page.clients]


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 10, 11, 25, 50])
@pytest.mark.parametrize("per_page", [10, 25, 50])
def test_pages_cover_every_client_once(app_ctx: AppContext, count: int, per_page: int) -> None:
    service_agent(app_ctx)
    inns = bulk_clients(app_ctx, count)
    expected_pages = math.ceil(count / per_page)
    seen: list[str] = []
    for number in range(1, expected_pages + 1):
        page = page_of(app_ctx, page=number, per_page=per_page)
        assert (page.total, page.pages, page.page, page.per_page) == (
            count,
            expected_pages,
            number,
            per_page,
        )
        is_last = number == expected_pages
        expected_size = count - per_page * (expected_pages - 1) if is_last else per_page
        assert len(page.clients) == expected_size
        seen.extend(row.inn for row in page.clients)
    assert seen == inns  # default order: as added


@pytest.mark.parametrize(("count", "page_number"), [(0, 1), (0, 2), (10, 2), (11, 3), (50, 6)])
def test_page_past_the_end_is_empty_but_tells_the_total(
    app_ctx: AppContext, count: int, page_number: int
) -> None:
    service_agent(app_ctx)
    bulk_clients(app_ctx, count)
    page = page_of(app_ctx, page=page_number, per_page=10)
    assert page.clients == []
    assert page.total == count
    assert page.pages == math.ceil(count / 10)
    assert page.as_json() == {
        "total": count,
        "page": page_number,
        "pages": math.ceil(count / 10),
        "per_page": 10,
        "clients": [],
    }


def test_last_page_of_11_holds_the_eleventh(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    inns = bulk_clients(app_ctx, 11)
    page = page_of(app_ctx, page=2, per_page=10)
    assert [row.inn for row in page.clients] == [inns[10]]
    assert names(page) == ["Клиент 011"]


# --- search ------------------------------------------------------------------------------

SEARCH_CLIENTS = [
    # short_name, inn, contact, email
    *[(name, inn, contact, f"client{inn}@example.ru") for name, inn, contact, *_ in SEED_CLIENTS],
    (R_PHARM[0], R_PHARM[1], R_PHARM[2], R_PHARM[4]),
    ("ООО «Ёлка»", "5003052454", "Фёдор Ёжиков", "elka@example.ru"),
    ("Romashka Trading LLC", "5403123452", "John SMITH", "John.Smith@Romashka.example"),
    ("Скидка 100%", "6601122332", "Процентов П.", "sale@example.ru"),
    ("Скидка 1000 рублей", "2310123454", "Рублёв Р.", "rub@example.ru"),
    ('ООО "Кавычки"', "7712345671", "Цитатов Ц.", "a_b@quotes.example"),
    ("ΑΛΦΑ ΟΔΟΣ", "770123456703", "Ελένη", "alfa@example.gr"),
    ("АО Почта", "501234567802", "Почтальон Печкин", "pechkin@почта.рф"),
]


@pytest.fixture
def searchable(app_ctx: AppContext) -> AppContext:
    service_agent(app_ctx)
    for name, inn, contact, email in SEARCH_CLIENTS:
        service_client(app_ctx, inn, name, contact, email)
    return app_ctx


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # Cyrillic, any case.
        ("р-фарм", ["АО Р-ФАРМ"]),
        ("Р-ФАРМ", ["АО Р-ФАРМ"]),
        ("р-ФаРм", ["АО Р-ФАРМ"]),
        ("техника", ["Новая Техника"]),
        ("ТЕХНИКА", ["Новая Техника"]),
        # Latin, any case, in name, contact and email.
        ("romashka", ["Romashka Trading LLC"]),
        ("ROMASHKA", ["Romashka Trading LLC"]),
        ("viktor", ["Крахмал"]),
        ("VIKTOR", ["Крахмал"]),
        ("john smith", ["Romashka Trading LLC"]),
        # Greek: case folding, including the final sigma.
        ("αλφα", ["ΑΛΦΑ ΟΔΟΣ"]),
        ("οδος", ["ΑΛΦΑ ΟΔΟΣ"]),
        # ё = е, both ways.
        ("елка", ["ООО «Ёлка»"]),
        ("ЁЛКА", ["ООО «Ёлка»"]),
        ("федор", ["ООО «Ёлка»"]),
        ("Фёдор", ["ООО «Ёлка»"]),
        ("ежиков", ["ООО «Ёлка»"]),
        ("рублев", ["Скидка 1000 рублей"]),
        # INN, whole or in part.
        ("7726311464", ["АО Р-ФАРМ"]),
        ("772631", ["АО Р-ФАРМ"]),
        ("228999331903", ["ИП Тестов А.Ю."]),
        # Contact and email.
        ("игнатьев", ["АО Р-ФАРМ"]),
        ("r-pharm.com", ["АО Р-ФАРМ"]),
        ("INFO@R-PHARM", ["АО Р-ФАРМ"]),
        ("почта.рф", ["АО Почта"]),
        # Surrounding and repeated spaces do not matter.
        ("  новая   техника  ", ["Новая Техника"]),
        # Nothing found.
        ("несуществующая", []),
        # No match across the border of two fields (name, then INN).
        ("р-фарм 7726", []),
        ("р-фарм7726", []),
    ],
)
def test_search(searchable: AppContext, search: str, expected: list[str]) -> None:
    page = page_of(searchable, search=search, per_page=50)
    assert sorted(names(page)) == sorted(expected)
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ао", ["АО Р-ФАРМ", "АО Почта"]),
        ("АО", ["АО Р-ФАРМ", "АО Почта"]),
        ("ё", None),  # ё = е: every client with either letter
        ("ΟΣ", ["ΑΛΦΑ ΟΔΟΣ"]),
        ("03", None),
        ("%", ["Скидка 100%"]),
        ("_", ['ООО "Кавычки"']),
        ('"', ['ООО "Кавычки"']),
        ("1", None),  # None: checked against a plain scan of the fields
    ],
)
def test_searches_shorter_than_three_characters(
    searchable: AppContext, search: str, expected: list[str] | None
) -> None:
    page = page_of(searchable, search=search, per_page=50)
    if expected is None:
        expected = [
            name
            for name, inn, contact, email in SEARCH_CLIENTS
            if search.lower().replace("ё", "е")
            in f"{name} {inn} {contact} {email}".lower().replace("ё", "е")
        ]
        assert len(expected) > 3
    assert sorted(names(page)) == sorted(expected)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("100%", ["Скидка 100%"]),
        ("0%", ["Скидка 100%"]),
        ("%00", []),  # % is a character, not a wildcard
        ("a_b", ['ООО "Кавычки"']),
        ("a_b@", ['ООО "Кавычки"']),
        ("_b@quotes", ['ООО "Кавычки"']),
        ('"Кавычки"', ['ООО "Кавычки"']),
        ('ооо "кав', ['ООО "Кавычки"']),
        ('"ромашка"', []),
        ("скидка 1", ["Скидка 100%", "Скидка 1000 рублей"]),
        ("\\", []),
    ],
)
def test_search_special_characters_are_literal(
    searchable: AppContext, search: str, expected: list[str]
) -> None:
    assert sorted(names(page_of(searchable, search=search, per_page=50))) == sorted(expected)


# --- filters -----------------------------------------------------------------------------


@pytest.fixture
def agents_tree(app_ctx: AppContext) -> AppContext:
    """Agent → sub-agent → sub-sub-agent, plus an unrelated agent; seed clients spread over them."""
    service_agent(app_ctx)
    service_agent(app_ctx, SUB_AGENT_INN, "ИП Субагентов", parent=AGENT_INN)
    service_agent(app_ctx, SUB_SUB_AGENT_INN, "ИП Субсубагентов", parent=SUB_AGENT_INN)
    service_agent(app_ctx, OTHER_AGENT_INN, "ООО «Чужой агент»")
    owners = [AGENT_INN, AGENT_INN, SUB_AGENT_INN, SUB_SUB_AGENT_INN, OTHER_AGENT_INN, AGENT_INN]
    for (name, inn, contact, _region, _status), owner in zip(SEED_CLIENTS, owners, strict=True):
        service_client(app_ctx, inn, name, contact, f"c{inn}@example.ru", agent_inn=owner)
    attached = [inn for _n, inn, _c, _r, status in SEED_CLIENTS if status == "attached"]
    with app_ctx.session_factory.begin() as session:
        session.execute(update(Client).where(Client.inn.in_(attached)).values(status="attached"))
    return app_ctx


def agent_ids(app_ctx: AppContext, inn: str) -> list[int]:
    with app_ctx.session_factory() as session:
        return agent_with_subagents(session, find_agent(session, inn))


@pytest.mark.parametrize(
    ("agent_inn", "expected"),
    [
        (AGENT_INN, ["Новая Техника", "Крахмал", "Ромашка", "Тест-С-Петербург", "ИП Тестов А.Ю."]),
        (SUB_AGENT_INN, ["Ромашка", "Тест-С-Петербург"]),
        (SUB_SUB_AGENT_INN, ["Тест-С-Петербург"]),
        (OTHER_AGENT_INN, ["Терновка"]),
    ],
)
def test_agent_filter_includes_sub_agents(
    agents_tree: AppContext, agent_inn: str, expected: list[str]
) -> None:
    page = page_of(agents_tree, agent_ids=agent_ids(agents_tree, agent_inn), per_page=50)
    assert names(page) == expected
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([ClientStatus.PENDING], ["Новая Техника", "Крахмал", "Ромашка", "Тест-С-Петербург"]),
        ([ClientStatus.ATTACHED], ["Терновка", "ИП Тестов А.Ю."]),
        ([ClientStatus.PENDING, ClientStatus.ATTACHED], [c[0] for c in SEED_CLIENTS]),
    ],
)
def test_status_filter(
    agents_tree: AppContext, statuses: list[ClientStatus], expected: list[str]
) -> None:
    assert names(page_of(agents_tree, statuses=statuses, per_page=50)) == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["43"], ["Новая Техника"]),
        (["77", "97"], ["Ромашка"]),
        (["78", "61"], ["Тест-С-Петербург", "Терновка"]),
        (["22"], ["ИП Тестов А.Ю."]),
        (["99"], []),
    ],
)
def test_region_filter(agents_tree: AppContext, codes: list[str], expected: list[str]) -> None:
    assert names(page_of(agents_tree, region_codes=codes, per_page=50)) == expected


def test_filters_and_search_combine(agents_tree: AppContext) -> None:
    page = page_of(
        agents_tree,
        agent_ids=agent_ids(agents_tree, AGENT_INN),
        statuses=[ClientStatus.PENDING],
        search="а",
        per_page=50,
    )
    # Pending clients of the agent's tree whose name, contact, INN or email contains "а".
    assert names(page) == ["Новая Техника", "Крахмал", "Ромашка"]


def test_active_applications_are_shown_only_for_attached_clients(agents_tree: AppContext) -> None:
    rows = {
        row.short_name: row.active_applications for row in page_of(agents_tree, per_page=50).clients
    }
    assert rows == {
        "Новая Техника": None,
        "Крахмал": None,
        "Ромашка": None,
        "Тест-С-Петербург": None,
        "Терновка": 0,
        "ИП Тестов А.Ю.": 0,
    }


# --- sorting -----------------------------------------------------------------------------

SEED_NAMES = [c[0] for c in SEED_CLIENTS]


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        ("created", False, SEED_NAMES),
        ("created", True, SEED_NAMES[::-1]),
        (
            "name",
            False,
            [
                "ИП Тестов А.Ю.",
                "Крахмал",
                "Новая Техника",
                "Ромашка",
                "Терновка",
                "Тест-С-Петербург",
            ],
        ),
        (
            "name",
            True,
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
            "inn",
            False,
            [
                "ИП Тестов А.Ю.",
                "Крахмал",
                "Новая Техника",
                "Терновка",
                "Ромашка",
                "Тест-С-Петербург",
            ],
        ),
        (
            "inn",
            True,
            [
                "Тест-С-Петербург",
                "Ромашка",
                "Терновка",
                "Новая Техника",
                "Крахмал",
                "ИП Тестов А.Ю.",
            ],
        ),
        (
            "region",
            False,
            [
                "ИП Тестов А.Ю.",
                "Крахмал",
                "Новая Техника",
                "Терновка",
                "Ромашка",
                "Тест-С-Петербург",
            ],
        ),
        (
            "status",
            False,
            [
                "Терновка",
                "ИП Тестов А.Ю.",
                "Новая Техника",
                "Крахмал",
                "Ромашка",
                "Тест-С-Петербург",
            ],
        ),
        (
            "status",
            True,
            [
                "Тест-С-Петербург",
                "Ромашка",
                "Крахмал",
                "Новая Техника",
                "ИП Тестов А.Ю.",
                "Терновка",
            ],
        ),
    ],
)
def test_sorting(agents_tree: AppContext, sort: str, descending: bool, expected: list[str]) -> None:
    page = page_of(agents_tree, sort=sort, descending=descending, per_page=50)
    assert names(page) == expected


def test_sorting_applies_before_paging(app_ctx: AppContext) -> None:
    service_agent(app_ctx)
    bulk_clients(app_ctx, 25)
    second = page_of(app_ctx, sort="name", descending=True, page=2, per_page=10)
    assert names(second) == [f"Клиент {n:03d}" for n in range(15, 5, -1)]
