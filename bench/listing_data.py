"""Generated clients for the listing benchmark: Cyrillic companies, valid INNs, many regions.

Rows are built as plain tuples and loaded in bulk (sqlite3 executemany, PostgreSQL COPY),
never one ORM object per row. The schema itself comes from bankon's own migrations.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bankon_cli.domain.search import search_text

SEED = 20261203
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

FORMS = [("ООО", 62), ("АО", 9), ("ПАО", 2), ("ЗАО", 3), ("НКО", 1)]
ROOTS = (
    "Строй Техно Агро Инвест Торг Пром Снаб Сервис Логистик Маркет Фарм Мед Энерго Нефте Газ "
    "Металл Лес Хлеб Молоко Транс Авто Мебель Текстиль Инфо Софт Дата Сиб Урал Волга Кубань "
    "Дон Нева Балт Север Юг Восток Запад Альфа Вектор Гранит Кристалл Меридиан Орион Прогресс "
    "Ресурс Стандарт Триумф Феникс Зелёный Берёзка Ёлочка Сокол Кедр Байкал Алтай Омега Дельта "
    "Спектр Горизонт Магистраль Монолит Сфера Элемент Фактор Капитал Престиж Атлант Эталон"
).split()
SUFFIXES = (
    " Строй Сервис Торг Комплект Групп Холдинг Трейд Плюс Центр Снаб Проект Монтаж Систем "
    "Инжиниринг Ресурс Мастер Лайн Экспорт Пласт Агро"
).split(" ")
LATIN = ["Techno Line", "IT Solutions", "Smart Logistic", "Green Farm", "Data Soft"]
RARE = ["Ромашка", "Р-ФАРМ", "Терновка", "Новая Техника", "Крахмал", "Жёлудь"]
MALE = "Александр Сергей Дмитрий Андрей Алексей Максим Иван Михаил Николай Владимир Павел".split()
FEMALE = "Ксения Анна Елена Ольга Татьяна Наталья Мария Ирина Светлана Юлия Екатерина".split()
SURNAMES = (
    "Иванов Петров Смирнов Кузнецов Попов Васильев Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Игнатьев Абрамов"
).split()
DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "rambler.ru"]
# Region codes (first two INN digits) with rough weights: Moscow and St Petersburg dominate.
REGION_WEIGHTS = {"77": 14, "97": 2, "78": 8, "50": 7, "66": 4, "16": 4, "23": 4, "54": 3}
OTHER_REGIONS = [f"{code:02d}" for code in range(1, 80) if f"{code:02d}" not in REGION_WEIGHTS]
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch  y  e yu ya".split(" "),
        strict=True,
    )
)
AGENTS = [  # (inn body, name, parent index or None)
    ("771234567", 'ООО "Региональный тестовый центр"', None),
    ("780123456", 'ООО "Северо-Западный агент"', 0),
    ("501234567", 'АО "Подмосковье Партнёр"', 0),
    ("661234567", 'ООО "Уральский агент"', None),
    ("661234568", 'ООО "Екатеринбург Финанс"', 3),
    ("161234567", 'ООО "Казанский центр"', None),
    ("231234567", 'ООО "Кубань Агент"', None),
    ("541234567", 'ООО "Сибирский партнёр"', None),
]
AGENT_WEIGHTS = [30, 10, 8, 15, 5, 12, 10, 10]
APPLICATION_STATUSES = ["draft", "submitted", "in_review", "approved", "rejected"]


def inn10(body: str) -> str:
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return body + str(sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 11 % 10)


def inn12(body: str) -> str:
    first = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    body += str(sum(w * int(d) for w, d in zip(first, body, strict=True)) % 11 % 10)
    second = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    return body + str(sum(w * int(d) for w, d in zip(second, body, strict=True)) % 11 % 10)


def agent_rows() -> list[tuple[int, str, str, int | None, datetime]]:
    return [
        (index + 1, inn10(body), name, None if parent is None else parent + 1, START)
        for index, (body, name, parent) in enumerate(AGENTS)
    ]


def _latin(text: str) -> str:
    return "".join(TRANSLIT.get(char, char) for char in text.lower())


def _person(rng: random.Random) -> tuple[str, str]:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.45:
        first, surname = rng.choice(FEMALE), surname + "а"
    else:
        first = rng.choice(MALE)
    if rng.random() < 0.5:
        return f"{surname} {first}", surname
    return f"{surname} {first[0]}.", surname


def _company(rng: random.Random, index: int) -> str:
    if index % 9973 == 0:
        core = RARE[(index // 9973) % len(RARE)]
    elif rng.random() < 0.04:
        core = rng.choice(LATIN)
    else:
        core = rng.choice(ROOTS) + rng.choice(SUFFIXES).lower()
        if rng.random() < 0.3:
            core = f"{core}-{rng.choice(ROOTS)}"
    form = rng.choices([f for f, _ in FORMS], [w for _, w in FORMS])[0]
    quote = '"{}"' if rng.random() < 0.6 else "«{}»"
    return f"{form} {quote.format(core)}"


def client_rows(count: int) -> Iterator[tuple[object, ...]]:
    """(id, inn, short_name, contact_name, email, email_key, phone, region_code, legal_form,
    agent_id, status, search_text, reminders_paused, created_at, updated_at)."""
    rng = random.Random(SEED)
    regions = list(REGION_WEIGHTS) + OTHER_REGIONS
    weights = list(REGION_WEIGHTS.values()) + [0.7] * len(OTHER_REGIONS)
    agent_ids = list(range(1, len(AGENTS) + 1))
    for index in range(1, count + 1):
        region = rng.choices(regions, weights)[0]
        contact, surname = _person(rng)
        if rng.random() < 0.18:  # sole traders: 12-digit INN, named after the person
            inn = inn12(f"{region}{index:08d}")
            name, form = f"ИП {contact}", "individual"
        else:
            inn = inn10(f"{region}{index:07d}")
            name, form = _company(rng, index), "legal_entity"
        if rng.random() < 0.03:
            contact = rng.choice(["Viktor", "Anna Smirnova", "John Smith"])
        email = f"{_latin(surname)}.{index % 997}@{rng.choice(DOMAINS)}"
        phone = f"+7 9{rng.randrange(10, 99)} {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-00"
        status = "attached" if rng.random() < 0.3 else "pending"
        created = START + timedelta(seconds=index * 60)
        yield (
            index, inn, name, contact, email, email, phone, region, form,
            rng.choices(agent_ids, AGENT_WEIGHTS)[0], status,
            search_text(name, inn, contact, email), False, created, created,
        )  # fmt: skip


def application_rows(clients: int) -> Iterator[tuple[int, str, str, datetime]]:
    """(client_id, kind, status, created_at) for about a tenth of the clients."""
    rng = random.Random(SEED + 1)
    for client_id in range(1, clients + 1, 7):
        for _ in range(rng.randrange(1, 4)):
            status = rng.choice(APPLICATION_STATUSES)
            yield client_id, "bank_guarantee", status, START + timedelta(seconds=client_id * 60)
