"""Durations written in the config as `30m`, `12h`, `14d`."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*([0-9]+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `30m`, `12h`, `14d` or `2w`; raise ValueError with a Russian message."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"«{text}» не является длительностью; пишите число и единицу: 30m, 12h, 14d"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{_UNITS[unit]: amount})


def format_duration(delta: timedelta) -> str:
    """Russian, coarse: `2 ч 5 мин`, for messages such as the time left before a resend."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} д")
    if hours:
        parts.append(f"{hours} ч")
    if minutes:
        parts.append(f"{minutes} мин")
    if not parts:
        parts.append(f"{seconds} с")
    return " ".join(parts)
