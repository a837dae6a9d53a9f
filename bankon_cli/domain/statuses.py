"""Client statuses, their Russian labels and the one table of allowed moves."""

from __future__ import annotations

from enum import StrEnum


class ClientStatus(StrEnum):
    PENDING = "pending"
    ATTACHED = "attached"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[ClientStatus, str] = {
    ClientStatus.PENDING: "На рассмотрении",
    ClientStatus.ATTACHED: "Закреплен",
}

ALLOWED_MOVES: frozenset[tuple[ClientStatus, ClientStatus]] = frozenset(
    {
        (ClientStatus.PENDING, ClientStatus.ATTACHED),
    }
)


def can_move(current: ClientStatus, target: ClientStatus) -> bool:
    return (current, target) in ALLOWED_MOVES


def parse_status(text: str) -> ClientStatus | None:
    """Accept a status code or its Russian label, case-insensitively, quoted or not."""
    folded = text.strip().strip("«»\"'“”„ ").casefold().replace("ё", "е")
    for status in ClientStatus:
        if folded in (status.value, status.label.casefold().replace("ё", "е")):
            return status
    return None


# Applications (заявки) still in progress: the table's «Акт. заявки» counts these.
ACTIVE_APPLICATION_STATUSES = ("draft", "submitted", "in_review")


def can_have_applications(status: ClientStatus) -> bool:
    """Only attached clients may have applications (the table shows `-` for the others)."""
    return status is ClientStatus.ATTACHED
