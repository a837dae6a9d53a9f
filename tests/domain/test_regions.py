"""Region from the first two digits of an INN, including merged, new and re-numbered codes."""

from __future__ import annotations

import pytest

from bankon_cli.domain.regions import REGIONS, UNKNOWN_REGION, region_codes_matching, region_name
from tests.conftest import R_PHARM, SEED_CLIENTS


@pytest.mark.parametrize(
    ("inn", "region"),
    [(inn, region) for _name, inn, _contact, region, _status in SEED_CLIENTS]
    + [(R_PHARM[1], R_PHARM[3])],
)
def test_seed_clients_get_the_guides_regions(inn: str, region: str) -> None:
    assert region_name(inn) == region
    assert region_name(inn[:2]) == region


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("01", "Республика Адыгея"),
        ("02", "Республика Башкортостан"),
        ("16", "Республика Татарстан"),
        ("22", "Алтайский край"),
        ("32", "Брянская область"),
        ("43", "Кировская область"),
        ("50", "Московская область"),
        ("61", "Ростовская область"),
        ("77", "г. Москва"),
        ("78", "г. Санкт-Петербург"),
        ("79", "Еврейская автономная область"),
        # 97 was opened for Moscow when 77 ran short: not a region called "97".
        ("97", "г. Москва"),
        # Autonomous okrugs merged into a neighbouring region keep their code.
        ("80", "Забайкальский край"),  # Агинский Бурятский АО
        ("81", "Пермский край"),  # Коми-Пермяцкий АО
        ("82", "Камчатский край"),  # Корякский АО
        ("84", "Красноярский край"),  # Таймырский АО
        ("85", "Иркутская область"),  # Усть-Ордынский Бурятский АО
        ("88", "Красноярский край"),  # Эвенкийский АО
        # Okrugs that still exist.
        ("83", "Ненецкий автономный округ"),
        ("86", "Ханты-Мансийский автономный округ — Югра"),
        ("87", "Чукотский автономный округ"),
        ("89", "Ямало-Ненецкий автономный округ"),
        # New regions.
        ("90", "Запорожская область"),
        ("91", "Республика Крым"),
        ("92", "г. Севастополь"),
        ("93", "Донецкая Народная Республика"),
        ("94", "Луганская Народная Республика"),
        ("95", "Херсонская область"),
        ("99", "Иные территории, включая г. Байконур"),
    ],
)
def test_region_codes(code: str, region: str) -> None:
    assert region_name(code) == region
    assert region_name(code + "12345678") == region


@pytest.mark.parametrize("code", ["00", "96", "98", "9", "", "ab", "0"])
def test_unknown_codes_get_a_neutral_label_not_an_error(code: str) -> None:
    assert region_name(code) == UNKNOWN_REGION == "Регион не определён"


def test_every_code_from_01_to_95_has_a_region() -> None:
    missing = [f"{n:02d}" for n in range(1, 96) if f"{n:02d}" not in REGIONS]
    assert missing == []
    assert all(name and name != UNKNOWN_REGION for name in REGIONS.values())


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("77", ["77"]),
        ("97", ["97"]),
        ("43", ["43"]),
        (" 78 ", ["78"]),
        ("г. Москва", ["77", "97"]),
        ("Москва", ["77", "97"]),
        ("МОСКВА", ["77", "97"]),
        ("Московская область", ["50"]),
        ("московская", ["50"]),
        ("Красноярский край", ["24", "84", "88"]),
        ("Забайкальский", ["75", "80"]),
        ("Санкт-Петербург", ["78"]),
        ("кировская", ["43"]),
        ("Якутия", ["14"]),
        ("Байконур", ["99"]),
        ("Нарния", []),
        ("   ", []),
        ("7", []),
    ],
)
def test_region_filter_matches_codes_and_names(query: str, codes: list[str]) -> None:
    assert region_codes_matching(query) == codes
