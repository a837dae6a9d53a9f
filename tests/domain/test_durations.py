"""Durations in the config: `90s`, `30m`, `12h`, `14d`, `2w`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bankon_cli.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("14d", timedelta(days=14)),
        ("2w", timedelta(weeks=2)),
        (" 14d ", timedelta(days=14)),
        ("14 d", timedelta(days=14)),
        ("1h", timedelta(hours=1)),
        ("0s", timedelta(0)),
        ("365d", timedelta(days=365)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "14", "d", "14days", "1.5h", "-1d", "14y", "1h30m", "١٤d", "14д", "h12"]
)
def test_bad_durations_are_refused_in_russian(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == (
        f"«{text}» не является длительностью; пишите число и единицу: 30m, 12h, 14d"
    )


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0 с"),
        (timedelta(seconds=42), "42 с"),
        (timedelta(minutes=5), "5 мин"),
        (timedelta(hours=2, minutes=5), "2 ч 5 мин"),
        (timedelta(days=14), "14 д"),
        (timedelta(days=1, hours=3, seconds=59), "1 д 3 ч"),
        (timedelta(seconds=-30), "0 с"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
