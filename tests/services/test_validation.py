"""Validation of client fields as people type them: every problem named by the portal's field."""

from __future__ import annotations

import pytest

from bankon_cli.errors import ExitStatus, InvalidInput
from bankon_cli.mail.message import wire_address
from bankon_cli.services.clients import duplicate_email_warning
from bankon_cli.services.validation import (
    check_client_fields,
    check_email,
    check_phone,
    check_text,
    clean_text,
    require_valid,
)
from tests.conftest import R_PHARM
from tests.helpers import service_agent, service_client


@pytest.mark.parametrize(
    ("raw", "normalized", "ascii_email"),
    [
        ("info@r-pharm.com", "info@r-pharm.com", "info@r-pharm.com"),
        ("  info@r-pharm.com  ", "info@r-pharm.com", "info@r-pharm.com"),
        # The domain is lower-cased; an ordinary local part keeps its case.
        ("Ivan.Petrov@Mail.RU", "Ivan.Petrov@mail.ru", "Ivan.Petrov@mail.ru"),
        ("buh@R-PHARM.COM", "buh@r-pharm.com", "buh@r-pharm.com"),
        # IDN (.рф) domains: stored in Unicode lower case, sent as punycode.
        ("info@пример.рф", "info@пример.рф", "info@xn--e1afmkfd.xn--p1ai"),
        ("info@ПРИМЕР.РФ", "info@пример.рф", "info@xn--e1afmkfd.xn--p1ai"),
        ("info@xn--e1afmkfd.xn--p1ai", "info@пример.рф", "info@xn--e1afmkfd.xn--p1ai"),
        (
            "zakaz@почта.москва.рф",
            "zakaz@почта.москва.рф",
            "zakaz@xn--80a1acny.xn--80adxhks.xn--p1ai",
        ),
        # A Cyrillic local part has no ASCII form (it needs SMTPUTF8).
        ("иван@пример.рф", "иван@пример.рф", None),
        # IDNA 2008 keeps ß: straße.de is not strasse.de.
        ("info@Straße.de", "info@straße.de", "info@xn--strae-oqa.de"),
    ],
)
def test_valid_emails_are_normalised(raw: str, normalized: str, ascii_email: str | None) -> None:
    email, problem = check_email(raw)
    assert problem is None
    assert email is not None
    assert email.normalized == normalized
    assert email.ascii_email == ascii_email
    assert email.key == normalized.casefold()
    # What goes on the wire is the form email-validator checked (IDNA 2008), never another.
    wire = ascii_email or "иван@xn--e1afmkfd.xn--p1ai"  # a Cyrillic mailbox keeps its name
    assert wire_address(normalized) == wire


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("info.r-pharm.com", "нет знака @"),
        ("@r-pharm.com", "нет имени до @"),
        ("info@", "нет домена после @"),
        ("info@r-pharm", "в домене нет точки"),
        ("info@localhost", "в домене нет точки"),
        ("info@@r-pharm.com", "больше одного знака @"),
        ("ivan petrov@r-pharm.com", "недопустимые символы до @: пробел"),
        ("ivan,petrov@r-pharm.com", "недопустимые символы до @: ','"),
        ("info@r_pharm.com", "недопустимые символы в домене: '_'"),
        ("ivan..petrov@r-pharm.com", "две точки подряд"),
        ("info@r-pharm..com", "две точки подряд"),
        (".info@r-pharm.com", "адрес начинается с точки"),
        ("info.@r-pharm.com", "точка перед @"),
        ("info@.r-pharm.com", "точка сразу после @"),
        ("info@r-pharm.com.", "адрес оканчивается точкой"),
        ("info@-r-pharm.com", "дефис сразу после @"),
        ("info@example.invalid", "зарезервированный домен"),
        ("info@1.2.3.4", "недопустимый домен"),
        ("info@[1.2.3.4]", "IP-адрес вместо домена не допускается"),
        ("Игнатьев В. <info@r-pharm.com>", "укажите только адрес, без имени и угловых скобок"),
        ('"ivan petrov"@r-pharm.com', "кавычки в адресе не допускаются"),
        ("info\u200b@r-pharm.com", "невидимые или управляющие символы"),
        ("x" * 64 + "@" + ("d" * 60 + ".") * 4 + "ru", "слишком длинный адрес"),
    ],
)
def test_invalid_emails_are_named_in_russian(raw: str, reason: str) -> None:
    email, problem = check_email(raw)
    assert email is None
    assert problem is not None
    assert problem.field == "Email"
    assert problem.problem == f"«{raw.strip()}» — {reason}"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_email(raw: str | None) -> None:
    assert check_email(raw) == (None, check_email("")[1])
    assert str(check_email(raw)[1]) == "Email: не заполнено"


class _ResolverSpy:
    """Stands in for DNS: records every look-up and answers that the domain does not exist."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def resolve(self, name: object, *args: object, **kwargs: object) -> object:
        import dns.resolver

        self.queries.append(str(name))
        raise dns.resolver.NXDOMAIN


@pytest.fixture
def dns_spy(monkeypatch: pytest.MonkeyPatch) -> _ResolverSpy:
    import dns.resolver

    spy = _ResolverSpy()
    monkeypatch.setattr(
        dns.resolver.Resolver, "resolve", lambda _self, *a, **k: spy.resolve(*a, **k)
    )
    return spy


def test_no_dns_lookup_by_default(dns_spy: _ResolverSpy) -> None:
    email, problem = check_email("info@no-such-domain-for-bankon-tests.ru")
    assert problem is None and email is not None
    assert dns_spy.queries == []


def test_deliverability_check_asks_dns_when_turned_on(dns_spy: _ResolverSpy) -> None:
    email, problem = check_email(
        "info@no-such-domain-for-bankon-tests.ru", check_deliverability=True
    )
    assert email is None
    assert problem is not None
    assert problem.problem == "«info@no-such-domain-for-bankon-tests.ru» — домен не существует"
    assert dns_spy.queries and "no-such-domain-for-bankon-tests.ru" in dns_spy.queries[0]


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+7 (926) 123-45-67", "+79261234567"),
        ("8 926 123 45 67", "+79261234567"),
        ("7 926 123 45 67", "+79261234567"),
        ("9261234567", "+79261234567"),
        ("8 (800) 555-35-35", "+78005553535"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1-202-555-0100", "+12025550100"),
        ("+375 29 123.45.67", "+375291234567"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_phones_are_normalised(raw: str | None, phone: str | None) -> None:
    assert check_phone(raw) == (phone, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("позвонить Ивану", "«позвонить Ивану» — допустимы только цифры, пробелы, +, -, ( )"),
        (
            "+7 926 123 45 67 доб. 5",
            "«+7 926 123 45 67 доб. 5» — допустимы только цифры, пробелы, +, -, ( )",
        ),
        ("+7 ٩٢٦ ١٢٣ ٤٥ ٦٧", "«+7 ٩٢٦ ١٢٣ ٤٥ ٦٧» — допустимы только цифры, пробелы, +, -, ( )"),
        ("123", "«123» — не похоже на номер телефона"),
        ("+7 926 123 45 6", "«+7 926 123 45 6» — не похоже на номер телефона"),
        ("+7 926 123 45 678", "«+7 926 123 45 678» — не похоже на номер телефона"),
        ("1234567890123456", "«1234567890123456» — не похоже на номер телефона"),
    ],
)
def test_bad_phones(raw: str, problem: str) -> None:
    phone, found = check_phone(raw)
    assert phone is None
    assert found is not None and found.field == "Телефон" and found.problem == problem


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  АО   Р-ФАРМ ", "АО Р-ФАРМ"),
        ("Игнатьев\tВ.", "Игнатьев В."),
        ("Игнатьев\nВ.", "Игнатьев В."),
        ("[bold]Ромашка[/bold]", "[bold]Ромашка[/bold]"),
        (None, ""),
    ],
)
def test_clean_text_collapses_whitespace(raw: str | None, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "не заполнено"),
        ("   ", "не заполнено"),
        ("Ромашка\x00", "содержит управляющие символы"),
        ("Ром\x1bашка", "содержит управляющие символы"),
        ("Р" * 501, "длиннее 500 символов"),
    ],
)
def test_check_text_problems(raw: str, problem: str) -> None:
    _text, found = check_text("Наименование компании", raw)
    assert found is not None
    assert str(found) == f"Наименование компании: {problem}"


def test_check_text_accepts_500_characters() -> None:
    assert check_text("Наименование компании", "Р" * 500) == ("Р" * 500, None)


def test_all_problems_of_a_client_are_reported_at_once() -> None:
    fields, problems = check_client_fields(
        inn="7726311465", contact_name=" ", short_name="", email="info@", phone="abc"
    )
    assert fields is None
    assert [str(problem) for problem in problems] == [
        "ИНН: «7726311465» не проходит проверку контрольной суммы",
        "ФИО контактного лица: не заполнено",
        "Наименование компании: не заполнено",
        "Email: «info@» — нет домена после @",
        "Телефон: «abc» — допустимы только цифры, пробелы, +, -, ( )",
    ]
    with pytest.raises(InvalidInput) as caught:
        require_valid(fields, problems)
    assert caught.value.exit_status is ExitStatus.INVALID_INPUT
    assert caught.value.message == "; ".join(str(problem) for problem in problems)


def test_one_problem_names_its_field() -> None:
    fields, problems = check_client_fields(
        inn="7726311464", contact_name="Игнатьев В.", short_name="АО Р-ФАРМ", email="info"
    )
    with pytest.raises(InvalidInput) as caught:
        require_valid(fields, problems)
    assert caught.value.field == "Email"
    assert caught.value.message == "Email: «info» — нет знака @"


def test_valid_client_fields() -> None:
    name, inn, contact, _region, email = R_PHARM
    fields, problems = check_client_fields(
        inn=f" {inn[:4]} {inn[4:]} ",
        contact_name=f" {contact} ",
        short_name=name,
        email=email.upper(),
        phone="8 (495) 956-79-37",
    )
    assert problems == []
    assert fields is not None
    assert fields.inn.value == inn
    assert fields.contact_name == contact
    assert fields.short_name == name
    assert fields.email.normalized == "info@r-pharm.com"  # `info` is a case-insensitive mailbox
    assert fields.phone == "+74959567937"


@pytest.mark.parametrize(
    "second_email",
    ["buh@r-pharm.com", "BUH@R-PHARM.COM", "Buh@R-Pharm.com", " buh@r-pharm.COM "],
)
def test_duplicate_email_is_warned_about_case_insensitively(app_ctx, second_email: str) -> None:  # type: ignore[no-untyped-def]
    service_agent(app_ctx)
    service_client(app_ctx, "7726311464", "АО Р-ФАРМ", "Игнатьев В.", "buh@r-pharm.com")
    added = service_client(app_ctx, "4346051140", "Новая Техника", "Ксения Абрамова", second_email)
    assert added.warnings == [
        "Email уже указан у других клиентов (ИНН 7726311464); клиент всё равно добавлен"
    ]


def test_duplicate_idn_email_is_warned_about_in_either_form(app_ctx) -> None:  # type: ignore[no-untyped-def]
    service_agent(app_ctx)
    service_client(app_ctx, "7726311464", "АО Р-ФАРМ", "Игнатьев В.", "buh@пример.рф")
    added = service_client(
        app_ctx, "4346051140", "Новая Техника", "Ксения Абрамова", "BUH@XN--E1AFMKFD.XN--P1AI"
    )
    assert added.row.email == "BUH@пример.рф"  # the local part keeps its case
    assert len(added.warnings) == 1


def test_duplicate_email_warning_lists_at_most_three(app_ctx) -> None:  # type: ignore[no-untyped-def]
    service_agent(app_ctx)
    inns = ["4346051140", "3257031038", "7705923096", "7809018702"]
    for inn in inns:
        service_client(app_ctx, inn, f"Компания {inn}", "Бухгалтер", "buh@example.ru")
    with app_ctx.session_factory() as session:
        warning = duplicate_email_warning(session, "buh@example.ru", "6149006872")
    assert warning == (
        "Email уже указан у других клиентов (ИНН 4346051140, 3257031038, 7705923096 и другие); "
        "клиент всё равно добавлен"
    )


def test_unique_email_gives_no_warning(app_ctx) -> None:  # type: ignore[no-untyped-def]
    service_agent(app_ctx)
    service_client(app_ctx, "7726311464", "АО Р-ФАРМ", "Игнатьев В.", "info@r-pharm.com")
    added = service_client(app_ctx, "4346051140", "Новая Техника", "Ксения", "info@tehnika.ru")
    assert added.warnings == []


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("ООО \u202eакшамоР", "U+202E"),  # right-to-left override: shows reversed
        ("Ром\u200bашка", "U+200B"),  # zero-width space: looks like «Ромашка»
        ("\ufeffРомашка", "U+FEFF"),
    ],
)
def test_invisible_characters_in_a_name_are_refused(value, code):
    from bankon_cli.services.validation import check_text

    _, problem = check_text("Наименование компании", value)
    assert problem is not None
    assert str(problem) == (
        f"Наименование компании: содержит невидимый символ {code}; наберите значение заново"
    )
