"""Validation of client fields as typed by people: every problem named by the portal's field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bankon_cli.domain.inn import Inn, InnError, parse_inn
from bankon_cli.errors import InvalidInput

FIELD_INN = "ИНН"
FIELD_CONTACT = "ФИО контактного лица"
FIELD_NAME = "Наименование компании"
FIELD_EMAIL = "Email"
FIELD_PHONE = "Телефон"
FIELD_AGENT_NAME = "Наименование агента"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PHONE_ALLOWED = re.compile(r"^[+0-9\s()\-.]+$")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


@dataclass(frozen=True)
class ValidEmail:
    normalized: str
    ascii_email: str | None

    @property
    def key(self) -> str:
        return self.normalized.casefold()


@dataclass(frozen=True)
class ClientFields:
    inn: Inn
    contact_name: str
    short_name: str
    email: ValidEmail
    phone: str | None


def clean_text(value: str | None) -> str:
    """Collapse runs of whitespace (Excel and web forms leave plenty) and trim."""
    return " ".join((value or "").split())


def check_text(
    field: str, value: str | None, *, max_length: int = 500
) -> tuple[str, FieldProblem | None]:
    text = clean_text(value)
    if not text:
        return text, FieldProblem(field, "не заполнено")
    if _CONTROL.search(text):
        return text, FieldProblem(field, "содержит управляющие символы")
    invisible = next((char for char in text if unicodedata.category(char) == "Cf"), None)
    if invisible is not None:
        # Bidi overrides and zero-width characters make a name show as something it is not.
        return text, FieldProblem(
            field, f"содержит невидимый символ U+{ord(invisible):04X}; наберите значение заново"
        )
    if len(text) > max_length:
        return text, FieldProblem(field, f"длиннее {max_length} символов")
    return text, None


def check_email(
    value: str | None, *, check_deliverability: bool = False
) -> tuple[ValidEmail | None, FieldProblem | None]:
    """Syntax only unless asked: no DNS look-ups by default."""
    text = (value or "").strip()
    if not text:
        return None, FieldProblem(FIELD_EMAIL, "не заполнено")
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=check_deliverability)
    except EmailNotValidError as error:
        return None, FieldProblem(FIELD_EMAIL, f"«{text}» — {_email_reason(str(error))}")
    # email-validator lower-cases and Unicode-normalises the domain; the local part keeps its case.
    return ValidEmail(normalized=result.normalized, ascii_email=result.ascii_email), None


_EMAIL_REASONS = (
    ("must have an @-sign", "нет знака @"),
    ("There must be something after the @-sign", "нет домена после @"),
    ("There must be something before the @-sign", "нет имени до @"),
    ("is not valid. It should have a period", "в домене нет точки"),
    ("does not exist", "домен не существует"),
    ("does not accept email", "домен не принимает почту"),
    ("The email address is too long", "слишком длинный адрес"),
    ("periods cannot be separated by so many characters", "слишком длинная часть домена"),
    ("An email address cannot have a period immediately after the @-sign", "точка сразу после @"),
    ("cannot have a hyphen immediately after the @-sign", "дефис сразу после @"),
    ("cannot have a period and a hyphen next to each other", "точка и дефис рядом в домене"),
    ("cannot end with a hyphen", "адрес оканчивается дефисом"),
    ("cannot have two periods in a row", "две точки подряд"),
    ("An email address cannot end with a period", "адрес оканчивается точкой"),
    ("cannot start with a period", "адрес начинается с точки"),
    ("cannot have a period immediately before the @-sign", "точка перед @"),
    ("only one @-sign", "больше одного знака @"),
    ("is a special-use or reserved name", "зарезервированный домен"),
    ("display name", "укажите только адрес, без имени и угловых скобок"),
    ("Quoting the part before the @-sign", "кавычки в адресе не допускаются"),
    ("bracketed IP address", "IP-адрес вместо домена не допускается"),
    ("unsafe characters", "невидимые или управляющие символы"),
    ("is not a valid domain name", "недопустимый домен"),
    ("The part after the @-sign", "недопустимый домен"),
    ("The part before the @-sign", "недопустимое имя до @"),
)
_INVALID_CHARACTERS = re.compile(
    r"(?P<where>before|after) the @-sign(?: contains invalid characters)?: (?P<chars>.+?)\.?$"
)


def _email_reason(english: str) -> str:
    if "invalid characters" in english and "display name" not in english:
        match = _INVALID_CHARACTERS.search(english)
        if match:
            chars = match.group("chars").replace("SPACE", "пробел")
            if match.group("where") == "after":
                if chars == "'@'":
                    return "больше одного знака @"
                return f"недопустимые символы в домене: {chars}"
            return f"недопустимые символы до @: {chars}"
        return "недопустимые символы"
    for marker, russian in _EMAIL_REASONS:
        if marker.casefold() in english.casefold():
            return russian
    return "некорректный адрес"


def check_phone(value: str | None) -> tuple[str | None, FieldProblem | None]:
    """Russian numbers to +7XXXXXXXXXX; other international numbers kept as +digits."""
    text = clean_text(value)
    if not text:
        return None, None
    if not _PHONE_ALLOWED.match(text):
        return None, FieldProblem(
            FIELD_PHONE, f"«{text}» — допустимы только цифры, пробелы, +, -, ( )"
        )
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 11 and digits[0] in "78" and not text.startswith("+8"):
        return "+7" + digits[1:], None
    if len(digits) == 10 and not text.startswith("+"):
        return "+7" + digits, None
    if text.startswith("+") and 8 <= len(digits) <= 15 and not (
        digits.startswith("7") and len(digits) != 11
    ):
        return "+" + digits, None
    return None, FieldProblem(FIELD_PHONE, f"«{text}» — не похоже на номер телефона")


def check_inn(value: str | None) -> tuple[Inn | None, FieldProblem | None]:
    try:
        return parse_inn(value or ""), None
    except InnError as error:
        return None, FieldProblem(FIELD_INN, str(error))


def check_client_fields(
    *,
    inn: str | None,
    contact_name: str | None,
    short_name: str | None,
    email: str | None,
    phone: str | None = None,
    check_deliverability: bool = False,
) -> tuple[ClientFields | None, list[FieldProblem]]:
    """Every problem of a client's fields at once (import reports them all per row)."""
    problems: list[FieldProblem] = []
    valid_inn, problem = check_inn(inn)
    if problem:
        problems.append(problem)
    contact, problem = check_text(FIELD_CONTACT, contact_name)
    if problem:
        problems.append(problem)
    name, problem = check_text(FIELD_NAME, short_name)
    if problem:
        problems.append(problem)
    valid_email, problem = check_email(email, check_deliverability=check_deliverability)
    if problem:
        problems.append(problem)
    valid_phone, problem = check_phone(phone)
    if problem:
        problems.append(problem)
    if problems or valid_inn is None or valid_email is None:
        return None, problems
    return ClientFields(valid_inn, contact, name, valid_email, valid_phone), []


def require_valid(fields: ClientFields | None, problems: list[FieldProblem]) -> ClientFields:
    if problems or fields is None:
        first = problems[0]
        if len(problems) == 1:
            raise InvalidInput(first.field, first.problem)
        raise InvalidInput("", "; ".join(str(problem) for problem in problems))
    return fields
