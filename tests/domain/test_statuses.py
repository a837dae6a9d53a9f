"""Client statuses: codes, the portal's labels and the one table of allowed moves."""

from __future__ import annotations

import pytest

from bankon_cli.domain.statuses import (
    ALLOWED_MOVES,
    STATUS_LABELS,
    ClientStatus,
    can_have_applications,
    can_move,
    parse_status,
)


def test_codes_and_labels_are_the_portals() -> None:
    assert {status.value: status.label for status in ClientStatus} == {
        "pending": "На рассмотрении",
        "attached": "Закреплен",
    }
    assert set(STATUS_LABELS) == set(ClientStatus)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (ClientStatus.PENDING, ClientStatus.ATTACHED, True),
        (ClientStatus.ATTACHED, ClientStatus.PENDING, False),
        (ClientStatus.PENDING, ClientStatus.PENDING, False),
        (ClientStatus.ATTACHED, ClientStatus.ATTACHED, False),
    ],
)
def test_allowed_moves(current: ClientStatus, target: ClientStatus, allowed: bool) -> None:
    assert can_move(current, target) is allowed
    assert ((current, target) in ALLOWED_MOVES) is allowed


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("pending", ClientStatus.PENDING),
        ("PENDING", ClientStatus.PENDING),
        (" attached ", ClientStatus.ATTACHED),
        ("На рассмотрении", ClientStatus.PENDING),
        ("на рассмотрении", ClientStatus.PENDING),
        ("Закреплен", ClientStatus.ATTACHED),
        ("ЗАКРЕПЛЕН", ClientStatus.ATTACHED),
        ("Закреплён", ClientStatus.ATTACHED),  # ё = е
        ("закреплён", ClientStatus.ATTACHED),
        ("archived", None),
        ("", None),
        ("Закрепл", None),
    ],
)
def test_parse_status_accepts_codes_and_labels(text: str, status: ClientStatus | None) -> None:
    assert parse_status(text) is status


@pytest.mark.parametrize(
    ("status", "can"), [(ClientStatus.PENDING, False), (ClientStatus.ATTACHED, True)]
)
def test_only_attached_clients_have_applications(status: ClientStatus, can: bool) -> None:
    assert can_have_applications(status) is can


@pytest.mark.parametrize("text", ["«Закреплен»", '"закреплен"', " „Закреплен“ ", "attached"])
def test_status_label_copied_with_its_quotes_is_understood(text):
    assert parse_status(text) is ClientStatus.ATTACHED
