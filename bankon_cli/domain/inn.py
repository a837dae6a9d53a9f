"""INN normalisation, checksum verification and legal form."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LegalForm(StrEnum):
    LEGAL_ENTITY = "legal_entity"
    INDIVIDUAL = "individual"

    @property
    def label(self) -> str:
        return LEGAL_FORM_LABELS[self]


LEGAL_FORM_LABELS = {
    LegalForm.LEGAL_ENTITY: "Юридическое лицо",
    LegalForm.INDIVIDUAL: "ИП или физическое лицо",
}


class InnError(ValueError):
    """An INN that is malformed or fails its checksum; the message is Russian."""


@dataclass(frozen=True)
class Inn:
    value: str

    @property
    def legal_form(self) -> LegalForm:
        return LegalForm.LEGAL_ENTITY if len(self.value) == 10 else LegalForm.INDIVIDUAL

    @property
    def region_code(self) -> str:
        return self.value[:2]

    def __str__(self) -> str:
        return self.value


def normalise_inn(raw: str) -> str:
    """Strip whitespace (including non-breaking spaces) that people paste around and inside."""
    return "".join(raw.split())


def parse_inn(raw: str) -> Inn:
    """Return a verified INN or raise InnError saying whether format or checksum is wrong."""
    value = normalise_inn(raw)
    if not value:
        raise InnError("не указан")
    if not value.isascii() or not value.isdigit():
        raise InnError(f"«{value}» должен состоять только из цифр")
    if len(value) not in (10, 12):
        raise InnError(
            f"«{value}» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
            f"(ИП или физическое лицо), а содержит {len(value)}"
        )
    # Imported here: the client table shows legal forms without checking any INN.
    from stdnum.exceptions import InvalidChecksum
    from stdnum.ru import inn as stdnum_inn

    try:
        stdnum_inn.validate(value)
    except InvalidChecksum:
        raise InnError(f"«{value}» не проходит проверку контрольной суммы") from None
    return Inn(value)
