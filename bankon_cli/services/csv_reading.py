"""Reading CSV files as people export them from Excel: encoding, delimiter, physical lines."""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from bankon_cli.errors import InvalidInput

SCAN_CHUNK = 1 << 20
DELIMITERS = {"auto": "", ";": ";", ",": ",", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 с BOM",
    "cp1251": "Windows-1251",
    "utf-16": "UTF-16",
}
DELIMITER_LABELS = {";": "«;»", ",": "«,»", "\t": "табуляция", "|": "«|»"}
# Byte order marks, longest first: Excel writes UTF-8 with BOM («CSV UTF-8») and UTF-16
# («Текст Юникод»); a BOM is a property of the file, never part of the first header.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")

Record = tuple[int, list[str]]


@dataclass(frozen=True)
class Header:
    line: int
    cells: list[str]


class CsvFile:
    """An opened, seekable CSV file: how it is encoded and delimited, and its records."""

    def __init__(self, binary: BinaryIO, *, name: str, encoding: str, delimiter: str) -> None:
        self.binary = binary
        self.name = name
        self.encoding = encoding
        self.delimiter = delimiter
        binary.seek(0, io.SEEK_END)
        self.size = binary.tell()
        binary.seek(0)
        self._text: IO[str] | None = None

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    @property
    def delimiter_label(self) -> str:
        return DELIMITER_LABELS.get(self.delimiter, f"«{self.delimiter}»")

    @property
    def output_encoding(self) -> str:
        """The encoding files derived from this one are written in (errors file)."""
        return "utf-8-sig" if self.encoding.startswith("utf-8") else self.encoding

    def bytes_read(self) -> int:
        try:
            return min(self.binary.tell(), self.size)
        except (OSError, ValueError):
            return self.size

    def records(self) -> Iterator[Record]:
        """Every record with the physical line it starts on; blank records included."""
        self.binary.seek(0)
        text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
        self._text = text
        reader = csv.reader(text, delimiter=self.delimiter)
        previous = 0
        try:
            for cells in reader:
                start = previous + 1
                previous = reader.line_num
                if start == 1 and cells and cells[0].startswith("\ufeff"):
                    cells[0] = cells[0][1:]
                yield start, cells
        except csv.Error as error:
            raise InvalidInput(
                f"Файл {self.name}",
                f"строка {previous + 1}: не удалось разобрать CSV ({error}); чаще всего это "
                "незакрытая кавычка. Строки до неё уже обработаны; исправьте файл и запустите "
                "импорт снова — загруженные строки окажутся «без изменений»",
            ) from None
        finally:
            self._text = None
            if not self.binary.closed:
                text.detach()

    def close(self) -> None:
        self.binary.close()


def open_input(path: str, stdin: IO[str] | IO[bytes] | None) -> tuple[BinaryIO, str]:
    """The file (or `-`: standard input, copied to a temporary file so it can be re-read)."""
    if path == "-":
        spooled = tempfile.TemporaryFile()
        source = getattr(stdin, "buffer", stdin)
        if source is not None:
            if isinstance(source, io.TextIOBase):
                spooled.write(source.read().encode("utf-8"))
            else:
                shutil.copyfileobj(source, spooled)  # type: ignore[misc]
        spooled.seek(0)
        return spooled, "<stdin>"
    try:
        return open(path, "rb"), path
    except FileNotFoundError:
        raise InvalidInput(f"Файл {path}", "не найден") from None
    except IsADirectoryError:
        raise InvalidInput(f"Файл {path}", "это папка, а не файл") from None
    except PermissionError:
        raise InvalidInput(f"Файл {path}", "нет прав на чтение") from None


def parse_delimiter(option: str) -> str:
    key = option if option in DELIMITERS else option.strip().casefold()
    if key not in DELIMITERS:
        raise InvalidInput("--delimiter", f"«{option}» — допустимо: auto, «;», «,», tab, «|»")
    return DELIMITERS[key]


def parse_encoding(option: str) -> str:
    name = option.strip().casefold()
    if name in ("", "auto"):
        return ""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(
            "--encoding", f"неизвестная кодировка «{option}» (например: auto, utf-8, cp1251)"
        ) from None
    # utf-8-sig reads files with and without BOM alike.
    return "utf-8-sig" if canonical == "utf-8" else canonical


def open_csv(binary: BinaryIO, *, name: str, encoding: str = "", delimiter: str = "") -> CsvFile:
    """Detect what was not given, check the whole file decodes, and return it ready to read."""
    chosen = encoding or detect_encoding(binary, name)
    check_decodes(binary, name, chosen)
    csv_file = CsvFile(binary, name=name, encoding=chosen, delimiter=delimiter or ",")
    if not delimiter:
        csv_file.delimiter = detect_delimiter(first_line(csv_file))
    check_quotes_closed(csv_file)
    return csv_file


def check_quotes_closed(csv_file: CsvFile) -> None:
    """Stop before anything is written when a quote is never closed.

    A lenient reader would swallow every following line into that one field, and the rows
    after it would vanish from the report.
    """
    binary = csv_file.binary
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=csv_file.encoding, newline="")
    reader = csv.reader(text, delimiter=csv_file.delimiter, strict=True)
    previous = 0
    try:
        for _cells in reader:
            previous = reader.line_num
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise InvalidInput(
                f"Файл {csv_file.name}",
                f"строка {previous + 1}: кавычка открыта и не закрыта до конца файла; "
                "закройте её (или удвойте кавычку внутри значения: \"\") и запустите импорт снова",
            ) from None
        # Other strict complaints (a stray quote inside a value) are read leniently as before.
    finally:
        text.detach()
        binary.seek(0)


def detect_encoding(binary: BinaryIO, name: str) -> str:
    """BOM first; otherwise UTF-8 if the whole file is valid UTF-8, else Windows-1251."""
    binary.seek(0)
    head = binary.read(4)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if _decodes(binary, "utf-8") is None:
        return "utf-8"
    return "cp1251"


def check_decodes(binary: BinaryIO, name: str, encoding: str) -> None:
    """Read the whole file once so a bad byte stops the import before anything is written."""
    failure = _decodes(binary, encoding)
    if failure is None:
        return
    line, byte = failure
    hint = (
        "укажите верную кодировку: --encoding cp1251 или --encoding utf-8"
        if encoding != "cp1251"
        else "файл не в Windows-1251 и не в UTF-8; укажите кодировку: --encoding …"
    )
    raise InvalidInput(
        f"Файл {name}",
        f"строка {line}: байт 0x{byte:02X} не читается в кодировке "
        f"{ENCODING_LABELS.get(encoding, encoding)}; {hint}",
    )


def _decodes(binary: BinaryIO, encoding: str) -> tuple[int, int] | None:
    """None when every byte decodes; else (line, byte) of the first that does not."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    binary.seek(0)
    lines_before = 1
    chunk = b""
    try:
        while chunk := binary.read(SCAN_CHUNK):
            # Pure ASCII is valid UTF-8: skip decoding it (most of a typical file).
            ascii_only = encoding.startswith("utf-8") and _NON_ASCII.search(chunk) is None
            if not ascii_only or decoder.getstate()[0]:
                decoder.decode(chunk, final=False)
            lines_before += chunk.count(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        # error.start counts from the bytes of this call (plus at most a few carried over).
        position = min(error.start, len(chunk))
        bad = chunk[position] if position < len(chunk) else error.object[error.start]
        return lines_before + chunk[:position].count(b"\n"), bad
    finally:
        binary.seek(0)
    return None


def first_line(csv_file: CsvFile) -> str:
    """The first non-blank physical line of the file, decoded."""
    csv_file.binary.seek(0)
    text = io.TextIOWrapper(csv_file.binary, encoding=csv_file.encoding, newline="")
    try:
        for line in text:
            stripped = line.lstrip("\ufeff").strip()
            if stripped:
                return stripped
        return ""
    finally:
        text.detach()
        csv_file.binary.seek(0)


def detect_delimiter(line: str) -> str:
    """`;` when the header has one (Excel on Russian Windows), else tab, else `,`.

    csv.Sniffer guesses from character frequencies over many lines and is easily fooled by a
    header like `Наименование; ИНН` followed by names with commas; the header line decides here.
    """
    counts = {";": 0, "\t": 0, ",": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    for delimiter in (";", "\t", ","):
        if counts[delimiter]:
            return delimiter
    return ","
