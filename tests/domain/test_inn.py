"""INN rules: whitespace stripped, digits only, 10 or 12 digits, both check digits verified."""

from __future__ import annotations

import itertools

import pytest

from bankon_cli.domain.inn import Inn, InnError, LegalForm, normalise_inn, parse_inn
from tests.conftest import AGENT_INN, R_PHARM, SEED_CLIENTS

# The checksum as the tax service defines it, computed here independently of bankon and stdnum.
WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def remainder(digits: str, weights: tuple[int, ...]) -> int:
    return sum(weight * int(digit) for weight, digit in zip(weights, digits, strict=True)) % 11


def check_digit(digits: str, weights: tuple[int, ...]) -> str:
    # A remainder of 10 gives the check digit 0.
    return str(remainder(digits, weights) % 10)


def complete_10(prefix9: str) -> str:
    return prefix9 + check_digit(prefix9, WEIGHTS_10)


def complete_12(prefix10: str) -> str:
    first = check_digit(prefix10, WEIGHTS_11)
    return prefix10 + first + check_digit(prefix10 + first, WEIGHTS_12)


def independently_valid(inn: str) -> bool:
    if len(inn) == 10:
        return inn == complete_10(inn[:9])
    return len(inn) == 12 and inn == complete_12(inn[:10])


def _find(count: int, length: int, predicate) -> list[str]:  # type: ignore[no-untyped-def]
    """The first `count` INNs (from a fixed walk of prefixes) whose checksums satisfy predicate."""
    found = []
    for n in itertools.count(770100000):
        prefix = str(n) + ("0" if length == 12 else "")
        prefix = prefix[: length - (2 if length == 12 else 1)]
        inn = complete_12(prefix) if length == 12 else complete_10(prefix)
        if predicate(inn) and inn not in found:
            found.append(inn)
        if len(found) == count:
            return found
    raise AssertionError("unreachable")


def _walk_12(count: int, predicate) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for n in itertools.count(5003000000):
        inn = complete_12(str(n))
        if predicate(inn):
            found.append(inn)
        if len(found) == count:
            return found
    raise AssertionError("unreachable")


# 12-digit INNs whose 11th, 12th or both check digits come from a remainder of 10.
REMAINDER_10_FIRST = _walk_12(3, lambda inn: remainder(inn[:10], WEIGHTS_11) == 10)
REMAINDER_10_SECOND = _walk_12(3, lambda inn: remainder(inn[:11], WEIGHTS_12) == 10)
REMAINDER_10_BOTH = _walk_12(
    2,
    lambda inn: remainder(inn[:10], WEIGHTS_11) == 10 and remainder(inn[:11], WEIGHTS_12) == 10,
)
# 10-digit INNs whose check digit comes from a remainder of 10.
REMAINDER_10_COMPANY = _find(3, 10, lambda inn: remainder(inn[:9], WEIGHTS_10) == 10)

SEED_INNS = [inn for _name, inn, *_rest in SEED_CLIENTS] + [R_PHARM[1], AGENT_INN]


def test_generated_remainder_10_numbers_really_have_remainder_10() -> None:
    for inn in REMAINDER_10_FIRST + REMAINDER_10_BOTH:
        assert remainder(inn[:10], WEIGHTS_11) == 10 and inn[10] == "0"
    for inn in REMAINDER_10_SECOND + REMAINDER_10_BOTH:
        assert remainder(inn[:11], WEIGHTS_12) == 10 and inn[11] == "0"
    for inn in REMAINDER_10_COMPANY:
        assert remainder(inn[:9], WEIGHTS_10) == 10 and inn[9] == "0"


@pytest.mark.parametrize("inn", SEED_INNS)
def test_seed_inns_pass_the_independent_checksum_and_bankon(inn: str) -> None:
    assert independently_valid(inn)
    assert parse_inn(inn) == Inn(inn)


@pytest.mark.parametrize(
    "inn", REMAINDER_10_FIRST + REMAINDER_10_SECOND + REMAINDER_10_BOTH + REMAINDER_10_COMPANY
)
def test_accepts_check_digits_from_a_remainder_of_10(inn: str) -> None:
    assert independently_valid(inn)
    assert parse_inn(inn).value == inn


@pytest.mark.parametrize(
    ("inn", "form", "label"),
    [
        ("7726311464", LegalForm.LEGAL_ENTITY, "Юридическое лицо"),
        ("4346051140", LegalForm.LEGAL_ENTITY, "Юридическое лицо"),
        ("228999331903", LegalForm.INDIVIDUAL, "ИП или физическое лицо"),
    ],
)
def test_legal_form_follows_the_length(inn: str, form: LegalForm, label: str) -> None:
    parsed = parse_inn(inn)
    assert parsed.legal_form is form
    assert parsed.legal_form.label == label
    assert parsed.region_code == inn[:2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 7726311464 ", "7726311464"),
        ("7726 311 464", "7726311464"),
        ("7726\u00a0311\u00a0464", "7726311464"),  # non-breaking spaces pasted from a web page
        ("\t7726311464\n", "7726311464"),
        ("2289 9933 1903", "228999331903"),
    ],
)
def test_spaces_are_stripped(raw: str, expected: str) -> None:
    assert normalise_inn(raw) == expected
    assert parse_inn(raw).value == expected


@pytest.mark.parametrize(
    "inn",
    [
        # Validity never depends on the region prefix: codes in use, unknown and "00".
        complete_10("000000000"),
        complete_10("960000001"),
        complete_10("980000001"),
        complete_12("0012345678"),
        complete_12("9612345678"),
    ],
)
def test_validity_does_not_depend_on_the_region_prefix(inn: str) -> None:
    assert parse_inn(inn).value == inn


FORMAT_ERRORS = [
    ("", "не указан"),
    ("   ", "не указан"),
    ("7726-311464", "«7726-311464» должен состоять только из цифр"),
    ("7726311464a", "«7726311464a» должен состоять только из цифр"),
    ("ИНН7726311464", "«ИНН7726311464» должен состоять только из цифр"),
    ("٧٧٢٦٣١١٤٦٤", "«٧٧٢٦٣١١٤٦٤» должен состоять только из цифр"),  # Arabic-Indic digits
    ("７７２６３１１４６４", "«７７２６３１１４６４» должен состоять только из цифр"),  # full-width
    ("+7726311464", "«+7726311464» должен состоять только из цифр"),
    (
        "772631146",
        "«772631146» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
        "(ИП или физическое лицо), а содержит 9",
    ),
    (
        "77263114640",
        "«77263114640» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
        "(ИП или физическое лицо), а содержит 11",
    ),
    (
        "2289993319030",
        "«2289993319030» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
        "(ИП или физическое лицо), а содержит 13",
    ),
    (
        "1",
        "«1» должен содержать 10 цифр (юридическое лицо) или 12 цифр "
        "(ИП или физическое лицо), а содержит 1",
    ),
]


@pytest.mark.parametrize(("raw", "message"), FORMAT_ERRORS)
def test_format_errors_have_their_own_messages(raw: str, message: str) -> None:
    with pytest.raises(InnError) as caught:
        parse_inn(raw)
    assert str(caught.value) == message
    assert "контрольн" not in str(caught.value)


def _wrong_last_digit(inn: str) -> str:
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


def _wrong_eleventh_digit(inn: str) -> str:
    # Changing the 11th digit breaks it (and the 12th, which is computed over it).
    return inn[:10] + str((int(inn[10]) + 1) % 10) + inn[11]


CHECKSUM_ERRORS = (
    [_wrong_last_digit(inn) for inn in SEED_INNS]
    + [_wrong_eleventh_digit("228999331903"), _wrong_eleventh_digit(REMAINDER_10_FIRST[0])]
    + [_wrong_last_digit(inn) for inn in REMAINDER_10_BOTH + REMAINDER_10_COMPANY]
    + ["7726311465", "1234567890", "123456789012", "7707083894"]
)


@pytest.mark.parametrize("inn", CHECKSUM_ERRORS)
def test_checksum_errors_have_their_own_message(inn: str) -> None:
    assert not independently_valid(inn)
    with pytest.raises(InnError) as caught:
        parse_inn(inn)
    assert str(caught.value) == f"«{inn}» не проходит проверку контрольной суммы"


def test_a_12_digit_number_valid_as_10_plus_two_is_still_checked_as_12() -> None:
    # The first 10 digits of the seed's ИП are not a valid company INN; length decides the rule.
    assert not independently_valid("2289993319")
    assert parse_inn("228999331903").legal_form is LegalForm.INDIVIDUAL
