"""Rows of an import file: which column is which field, Excel's damage, one row's check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stdnum.ru import inn as stdnum_inn

from bankon_cli.errors import InvalidInput
from bankon_cli.services.validation import (
    FIELD_CONTACT,
    FIELD_EMAIL,
    FIELD_INN,
    FIELD_NAME,
    FIELD_PHONE,
    ClientFields,
    FieldProblem,
    check_client_fields,
)

FIELD_ROW = "Строка"
REASON_COLUMN = "Причина отклонения"

# Field key -> (the portal's name, every header people use for it).
FIELD_HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "inn": (FIELD_INN, ("ИНН", "inn", "ИНН клиента", "ИНН организации", "ИНН компании")),
    "short_name": (
        FIELD_NAME,
        (
            "Наименование компании",
            "Краткое наименование организации",
            "Краткое наименование",
            "Наименование организации",
            "Наименование",
            "Организация",
            "Компания",
            "name",
            "short_name",
            "company",
            "company name",
        ),
    ),
    "contact_name": (
        FIELD_CONTACT,
        (
            "ФИО контактного лица",
            "Контакты",
            "Контактное лицо",
            "Контакт",
            "ФИО",
            "contact",
            "contact_name",
            "contact name",
        ),
    ),
    "email": (
        FIELD_EMAIL,
        ("Email", "E-mail", "Эл. почта", "Электронная почта", "Почта", "mail", "e-mail адрес"),
    ),
    "phone": (FIELD_PHONE, ("Телефон", "phone", "Тел.", "Телефон контактного лица")),
}
REQUIRED_FIELDS = ("inn", "short_name", "contact_name", "email")
# Columns our own export and errors file add: known, read-only, ignored without a warning.
INFORMATIONAL_HEADERS = (
    "Регион",
    "Статус клиента",
    "Агент",
    "ИНН агента",
    "Акт. заявки",
    "Дата добавления",
    REASON_COLUMN,
    "region",
    "status",
    "status_label",
    "agent_name",
    "agent_inn",
    "legal_form",
    "active_applications",
    "created_at",
)
_HEADER_NOISE = re.compile(r"[\s._\-:*]+")


def header_key(text: str) -> str:
    """`Эл. почта`, `эл.почта*` and `ЭЛ ПОЧТА` are one header; so are `E-mail` and `email`."""
    return _HEADER_NOISE.sub("", text.replace("\ufeff", "").casefold().replace("ё", "е"))


_FIELD_BY_KEY = {
    header_key(header): field for field, (_, headers) in FIELD_HEADERS.items() for header in headers
}
_INFORMATIONAL_KEYS = {header_key(header) for header in INFORMATIONAL_HEADERS}


@dataclass(frozen=True)
class ColumnMap:
    header: list[str]
    index: dict[str, int]
    unknown: list[str]
    reason_index: int | None

    def value(self, cells: list[str], field: str) -> str:
        position = self.index.get(field)
        if position is None or position >= len(cells):
            return ""
        return cells[position]


def map_columns(cells: list[str], *, name: str) -> ColumnMap:
    """Match the header; a missing required column or a field given twice stops the import."""
    header = [cell.strip() for cell in cells]
    while header and not header[-1]:
        header.pop()
    index: dict[str, int] = {}
    unknown: list[str] = []
    reason_index = None
    for position, title in enumerate(header):
        key = header_key(title)
        if not key:
            continue
        field_key = _FIELD_BY_KEY.get(key)
        if field_key is None:
            if key == header_key(REASON_COLUMN):
                reason_index = position
            elif key not in _INFORMATIONAL_KEYS and title not in unknown:
                unknown.append(title)
            continue
        if field_key in index:
            raise InvalidInput(
                f"Файл {name}",
                f"столбцы «{header[index[field_key]]}» и «{title}» оба означают "
                f"«{FIELD_HEADERS[field_key][0]}»; оставьте один из них",
            )
        index[field_key] = position
    missing = [field for field in REQUIRED_FIELDS if field not in index]
    if missing:
        described = "; ".join(
            f"«{FIELD_HEADERS[field][0]}» (или {', '.join(FIELD_HEADERS[field][1][1:3])})"
            for field in missing
        )
        found = ", ".join(f"«{title}»" for title in header if title) or "нет ни одного"
        word = "обязательного столбца" if len(missing) == 1 else "обязательных столбцов"
        raise InvalidInput(
            f"Файл {name}",
            f"нет {word} {described}; столбцы в файле: {found}. Ничего не загружено",
        )
    return ColumnMap(header, index, unknown, reason_index)


EXCEL_TEXT_HINT = (
    "в Excel выделите столбец ИНН, выберите «Формат ячеек», затем «Текстовый», "
    "исправьте значения и сохраните CSV снова"
)
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_FRACTION = re.compile(r"^\d+[.,]0+$")


def excel_damage(raw: str) -> str | None:
    """What Excel did to an INN stored as a number, or None when it looks untouched."""
    value = "".join(raw.split())
    if _SCIENTIFIC.match(value):
        return (
            f"«{value}» — Excel записал ИНН числом в экспоненциальной форме, последние цифры "
            f"потеряны и по файлу их не восстановить; {EXCEL_TEXT_HINT}"
        )
    if _FRACTION.match(value):
        return f"«{value}» — Excel сохранил ИНН как дробное число; {EXCEL_TEXT_HINT}"
    if value.isascii() and value.isdigit() and len(value) in (9, 11):
        expected = len(value) + 1
        if stdnum_inn.is_valid("0" + value):
            guess = f"похоже, Excel отбросил ведущий ноль (ИНН 0{value})"
        else:
            guess = "если ИНН начинался с нуля, его отбросил Excel"
        return f"«{value}» — {len(value)} цифр вместо {expected}: {guess}; {EXCEL_TEXT_HINT}"
    return None


@dataclass
class CheckedRow:
    line: int
    cells: list[str]
    inn_text: str
    fields: ClientFields | None
    problems: list[FieldProblem]


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def check_row(
    line: int, cells: list[str], columns: ColumnMap, *, check_deliverability: bool
) -> CheckedRow:
    """Validate exactly as `client add` does, with Excel's damage to the INN explained."""
    value = columns.value
    inn_text = value(cells, "inn").strip()
    extra = [cell for cell in cells[len(columns.header) :] if cell.strip()]
    fields, problems = check_client_fields(
        inn=inn_text,
        contact_name=value(cells, "contact_name"),
        short_name=value(cells, "short_name"),
        email=value(cells, "email"),
        phone=value(cells, "phone"),
        check_deliverability=check_deliverability,
    )
    damage = excel_damage(inn_text) if inn_text else None
    if damage is not None:
        problems = [FieldProblem(FIELD_INN, damage)] + [
            problem for problem in problems if problem.field != FIELD_INN
        ]
        fields = None
    if extra:
        problems.append(
            FieldProblem(
                FIELD_ROW,
                f"значений больше, чем столбцов в заголовке ({len(columns.header)}): "
                "вероятно, в значении есть разделитель, а кавычек вокруг нет",
            )
        )
        fields = None
    return CheckedRow(line, cells, "".join(inn_text.split()), fields, problems)


class OnExisting(StrEnum):
    """What to do with a row whose INN is already a client of this agent."""

    SKIP = "skip"
    UPDATE = "update"
    ERROR = "error"


class RowStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return ROW_STATUS_LABELS[self]


ROW_STATUS_LABELS = {
    RowStatus.CREATED: "Добавлен",
    RowStatus.UPDATED: "Обновлён",
    RowStatus.UNCHANGED: "Без изменений",
    RowStatus.SKIPPED: "Пропущен",
    RowStatus.REJECTED: "Отклонён",
}


@dataclass
class RowOutcome:
    """How one row of the file ended; `line` is the physical line the record starts on."""

    line: int
    inn: str
    status: RowStatus
    reasons: list[FieldProblem] = field(default_factory=list)
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def reason_text(self) -> str:
        return "; ".join(str(problem) for problem in self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "inn": self.inn,
            "status": self.status.value,
            "status_label": self.status.label,
            "reasons": [
                {"field": problem.field, "problem": problem.problem} for problem in self.reasons
            ],
            "message": self.message,
            "warnings": self.warnings,
        }
