"""Reading CSV files as Excel writes them: encodings, delimiters, quoting, headers, damage."""

from __future__ import annotations

import codecs
import io

import pytest

from bankon_cli.errors import InvalidInput
from bankon_cli.services.csv_reading import (
    detect_delimiter,
    open_csv,
    open_input,
    parse_delimiter,
    parse_encoding,
)
from bankon_cli.services.import_rows import check_row, excel_damage, header_key, map_columns

HEADER = "ИНН;Наименование компании;ФИО контактного лица;Email"


def opened(data: bytes, **kwargs: str):  # type: ignore[no-untyped-def]
    return open_csv(io.BytesIO(data), name="clients.csv", **kwargs)


def records(data: bytes, **kwargs: str) -> list[tuple[int, list[str]]]:
    return list(opened(data, **kwargs).records())


def test_cp1251_with_semicolons_is_detected_and_decoded():
    text = HEADER + "\r\n7726311464;АО Р-ФАРМ;Игнатьев В.;info@r-pharm.com\r\n"
    csv_file = opened(text.encode("cp1251"))
    assert (csv_file.encoding, csv_file.delimiter) == ("cp1251", ";")
    assert csv_file.encoding_label == "Windows-1251"
    assert list(csv_file.records()) == [
        (1, ["ИНН", "Наименование компании", "ФИО контактного лица", "Email"]),
        (2, ["7726311464", "АО Р-ФАРМ", "Игнатьев В.", "info@r-pharm.com"]),
    ]


def test_utf8_bom_never_becomes_part_of_the_first_header():
    data = codecs.BOM_UTF8 + (HEADER + "\n").encode("utf-8")
    csv_file = opened(data)
    assert csv_file.encoding == "utf-8-sig"
    assert next(iter(csv_file.records())) == (
        1,
        ["ИНН", "Наименование компании", "ФИО контактного лица", "Email"],
    )


def test_bom_is_stripped_even_when_utf8_is_given_explicitly():
    data = codecs.BOM_UTF8 + (HEADER + "\n").encode("utf-8")
    first = records(data, encoding=parse_encoding("UTF-8"))[0]
    assert first[1][0] == "ИНН"


def test_utf8_without_bom_and_utf16_from_excel_unicode_text():
    assert opened((HEADER + "\n").encode("utf-8")).encoding == "utf-8"
    utf16 = ("ИНН\tEmail\r\n7726311464\tinfo@r-pharm.com\r\n").encode("utf-16")
    csv_file = opened(utf16)
    assert (csv_file.encoding, csv_file.delimiter) == ("utf-16", "\t")
    assert list(csv_file.records())[1] == (2, ["7726311464", "info@r-pharm.com"])


def test_utf8_is_chosen_only_when_the_whole_file_is_utf8():
    # Cyrillic far past the first megabyte: still detected as Windows-1251.
    data = (
        (HEADER + "\n").encode("ascii", "replace") + b"x" * (1 << 21) + "Ромашка".encode("cp1251")
    )
    assert opened(data).encoding == "cp1251"


def test_undecodable_byte_stops_with_its_line_before_anything_is_read():
    data = (HEADER + "\n1;2;3;4\n").encode("utf-8") + b"\x98\xff;x\n"
    with pytest.raises(InvalidInput) as error:
        opened(data, encoding="utf-8-sig")
    assert error.value.message == (
        "Файл clients.csv: строка 3: байт 0x98 не читается в кодировке UTF-8 с BOM; "
        "укажите верную кодировку: --encoding cp1251 или --encoding utf-8"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ИНН;Наименование компании, филиал;Email", ";"),
        ("ИНН,Наименование,Email", ","),
        ("ИНН\tНаименование\tEmail", "\t"),
        ('"Наименование, краткое",ИНН', ","),
        ('"Наименование; краткое",ИНН', ","),
        ("ИНН", ","),
    ],
)
def test_delimiter_comes_from_the_header_preferring_semicolon(line: str, expected: str):
    assert detect_delimiter(line) == expected


def test_quoted_fields_with_doubled_quotes_embedded_delimiters_and_newlines():
    text = (
        HEADER + "\r\n"
        '7726311464;"ООО ""Ромашка, филиал""";"Игнатьев\r\nВалентин";a@b.ru\r\n'
        "\r\n"
        "4346051140;Новая Техника;Ксения;k@b.ru\r\n"
    )
    assert records(text.encode("utf-8")) == [
        (1, ["ИНН", "Наименование компании", "ФИО контактного лица", "Email"]),
        (2, ["7726311464", 'ООО "Ромашка, филиал"', "Игнатьев\r\nВалентин", "a@b.ru"]),
        (4, []),
        (5, ["4346051140", "Новая Техника", "Ксения", "k@b.ru"]),
    ]


def test_explicit_delimiter_and_encoding_options():
    assert parse_delimiter("tab") == "\t"
    assert parse_delimiter(";") == ";"
    assert parse_delimiter("auto") == ""
    assert parse_encoding("windows-1251") == "cp1251"
    assert parse_encoding("auto") == ""
    with pytest.raises(InvalidInput) as error:
        parse_delimiter("::")
    assert error.value.message == "--delimiter: «::» — допустимо: auto, «;», «,», tab, «|»"
    with pytest.raises(InvalidInput) as error:
        parse_encoding("koi9")
    assert error.value.message == (
        "--encoding: неизвестная кодировка «koi9» (например: auto, utf-8, cp1251)"
    )


def test_missing_file_is_named():
    with pytest.raises(InvalidInput) as error:
        open_input("/nonexistent/clients.csv", None)
    assert error.value.message == "Файл /nonexistent/clients.csv: не найден"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("  инн ", "inn"),
        ("INN", "inn"),
        ("Краткое наименование организации", "short_name"),
        ("name", "short_name"),
        ("КОНТАКТЫ", "contact_name"),
        ("contact", "contact_name"),
        ("E-mail", "email"),
        ("Эл. почта", "email"),
        ("эл.почта", "email"),
        ("phone", "phone"),
    ],
)
def test_header_synonyms_match_case_insensitively_after_trimming(header: str, field: str):
    cells = ["ИНН", "Наименование компании", "ФИО контактного лица", "Email"]
    defaults = {"inn": 0, "short_name": 1, "contact_name": 2, "email": 3}
    position = defaults.get(field, 4)
    if field in defaults:
        cells[position] = header
    else:
        cells.append(header)
    assert map_columns(cells, name="f.csv").index[field] == position
    assert header_key(header) == header_key(header.upper())


def test_unknown_columns_are_listed_once_and_export_columns_are_known():
    columns = map_columns(
        ["ИНН", "Комментарий", "name", "contact", "email", "Регион", "Комментарий", "", ""],
        name="f.csv",
    )
    assert columns.unknown == ["Комментарий"]
    assert columns.header == [
        "ИНН",
        "Комментарий",
        "name",
        "contact",
        "email",
        "Регион",
        "Комментарий",
    ]


def test_missing_required_column_names_it_and_what_the_file_has():
    with pytest.raises(InvalidInput) as error:
        map_columns(["ИНН", "Наименование компании", "Email"], name="f.csv")
    assert error.value.message == (
        "Файл f.csv: нет обязательного столбца «ФИО контактного лица» (или Контакты, "
        "Контактное лицо); столбцы в файле: «ИНН», «Наименование компании», «Email». "
        "Ничего не загружено"
    )


def test_the_same_field_twice_is_refused():
    with pytest.raises(InvalidInput) as error:
        map_columns(["ИНН", "name", "Контакты", "ФИО контактного лица", "email"], name="f.csv")
    assert error.value.message == (
        "Файл f.csv: столбцы «Контакты» и «ФИО контактного лица» оба означают "
        "«ФИО контактного лица»; оставьте один из них"
    )


HINT = (
    "в Excel выделите столбец ИНН, выберите «Формат ячеек», затем «Текстовый», "
    "исправьте значения и сохраните CSV снова"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "7,72631E+09",
            "«7,72631E+09» — Excel записал ИНН числом в экспоненциальной форме, последние "
            f"цифры потеряны и по файлу их не восстановить; {HINT}",
        ),
        ("2.28999E+11", None),  # checked below: same message shape
        ("7726311464.0", f"«7726311464.0» — Excel сохранил ИНН как дробное число; {HINT}"),
        ("7726311464,00", f"«7726311464,00» — Excel сохранил ИНН как дробное число; {HINT}"),
        (
            "105123458",
            "«105123458» — 9 цифр вместо 10: похоже, Excel отбросил ведущий ноль "
            f"(ИНН 0105123458); {HINT}",
        ),
        (
            "10512345607",
            "«10512345607» — 11 цифр вместо 12: похоже, Excel отбросил ведущий ноль "
            f"(ИНН 010512345607); {HINT}",
        ),
        (
            "123456789",
            "«123456789» — 9 цифр вместо 10: если ИНН начинался с нуля, его отбросил Excel; "
            f"{HINT}",
        ),
        ("7726311464", None),
        ("77263114", None),
    ],
)
def test_excel_damage_is_recognised_and_explained(raw: str, expected: str | None):
    message = excel_damage(raw)
    if raw == "2.28999E+11":
        assert message is not None and message.startswith("«2.28999E+11» — Excel записал ИНН")
        return
    assert message == expected


def test_damaged_inn_replaces_the_generic_inn_message_and_keeps_other_fields():
    columns = map_columns(HEADER.split(";"), name="f.csv")
    row = check_row(7, ["7,72631E+09", "АО", "", "no-at"], columns, check_deliverability=False)
    assert row.fields is None
    assert [(problem.field, problem.problem.split(" — ")[0]) for problem in row.problems] == [
        ("ИНН", "«7,72631E+09»"),
        ("ФИО контактного лица", "не заполнено"),
        ("Email", "«no-at»"),
    ]


def test_values_beyond_the_header_are_a_row_error_but_trailing_empty_cells_are_not():
    columns = map_columns(HEADER.split(";"), name="f.csv")
    ok = check_row(
        2, ["7726311464", "АО", "В.", "a@b.ru", "", ""], columns, check_deliverability=False
    )
    assert ok.problems == [] and ok.fields is not None
    bad = check_row(
        3,
        ["7726311464", "ООО Ромашка", " филиал", "В.", "a@b.ru"],
        columns,
        check_deliverability=False,
    )
    assert [str(problem) for problem in bad.problems] == [
        "Email: «В.» — нет знака @",
        "Строка: значений больше, чем столбцов в заголовке (4): вероятно, в значении есть "
        "разделитель, а кавычек вокруг нет",
    ]


def test_unclosed_quote_stops_before_anything_is_read_naming_its_line():
    text = (
        HEADER + "\n"
        "7726311464;АО Р-ФАРМ;Игнатьев В.;info@r-pharm.com\n"
        '4346051140;"Новая Техника;Ксения Абрамова;k@nt.ru\n'
        "3257031038;Крахмал;Viktor;v@krahmal.ru\n"
    )
    with pytest.raises(InvalidInput) as raised:
        opened(text.encode("utf-8"))
    assert str(raised.value) == (
        "Файл clients.csv: строка 3: кавычка открыта и не закрыта до конца файла; закройте её "
        '(или удвойте кавычку внутри значения: "") и запустите импорт снова'
    )


def test_stray_quote_inside_an_unquoted_value_is_still_read_as_text():
    text = HEADER + '\n7726311464;АО Р-ФАРМ "Восток";Игнатьев В.;info@r-pharm.com\n'
    assert records(text.encode("utf-8"))[1] == (
        2,
        ["7726311464", 'АО Р-ФАРМ "Восток"', "Игнатьев В.", "info@r-pharm.com"],
    )
