"""The client filters shared by `client list` and `client export`, checked one way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bankon_cli.errors import InvalidInput

if TYPE_CHECKING:
    from bankon_cli.domain.statuses import ClientStatus


def statuses_from_options(texts: list[str]) -> list[ClientStatus]:
    """`--status` values: codes or the portal's labels."""
    from bankon_cli.domain.statuses import parse_status

    parsed = []
    for text in texts:
        status = parse_status(text)
        if status is None:
            raise InvalidInput(
                "--status",
                f"«{text}» — допустимо: pending, attached, «На рассмотрении», «Закреплен»",
            )
        parsed.append(status)
    return parsed


def region_codes_from_option(region: str | None) -> list[str]:
    """`--region`: a two-digit code or (part of) a region's name."""
    if region is None:
        return []
    from bankon_cli.domain.regions import region_codes_matching

    codes = region_codes_matching(region)
    if not codes:
        raise InvalidInput("--region", f"регион «{region}» не найден")
    return codes
