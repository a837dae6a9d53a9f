"""A minimal DER reader: just enough to look inside PKCS#12 containers and CMS signatures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_OID = 0x06
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_SEQUENCE = 0x30
TAG_SET = 0x31
CONSTRUCTED = 0x20


class DerError(ValueError):
    """The bytes are not the DER structure expected."""


@dataclass(frozen=True)
class Element:
    """One TLV inside `source`: its tag, where its header and contents start, where it ends."""

    source: bytes
    tag: int
    start: int
    content_start: int
    end: int

    @property
    def value(self) -> bytes:
        return self.source[self.content_start : self.end]

    @property
    def raw(self) -> bytes:
        return self.source[self.start : self.end]

    @property
    def constructed(self) -> bool:
        return bool(self.tag & CONSTRUCTED)

    def children(self) -> list[Element]:
        if not self.constructed:
            raise DerError(f"element with tag 0x{self.tag:02x} is not constructed")
        items = []
        offset = self.content_start
        while offset < self.end:
            item = read_element(self.source, offset, self.end)
            items.append(item)
            offset = item.end
        return items

    def expect(self, tag: int) -> Element:
        if self.tag != tag:
            raise DerError(f"expected tag 0x{tag:02x}, found 0x{self.tag:02x}")
        return self


def read_element(source: bytes, offset: int = 0, limit: int | None = None) -> Element:
    """Read the TLV at `offset`; only definite lengths and single-byte tags (that is DER)."""
    limit = len(source) if limit is None else limit
    if offset + 2 > limit:
        raise DerError("truncated element")
    tag = source[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used in these structures")
    first = source[offset + 1]
    position = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length is not DER")
    else:
        count = first & 0x7F
        if count > 4 or position + count > limit:
            raise DerError("bad length")
        length = int.from_bytes(source[position : position + count], "big")
        position += count
    end = position + length
    if end > limit:
        raise DerError("truncated element")
    return Element(source, tag, offset, position, end)


def parse(source: bytes) -> Element:
    """The single element `source` consists of (trailing bytes are an error)."""
    element = read_element(source)
    if element.end != len(source):
        raise DerError("trailing bytes after the element")
    return element


def decode_oid(value: bytes) -> str:
    if not value:
        raise DerError("empty object identifier")
    arcs: list[int] = []
    current = 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    if value[-1] & 0x80:
        raise DerError("truncated object identifier")
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])


def decode_integer(value: bytes) -> int:
    if not value:
        raise DerError("empty integer")
    return int.from_bytes(value, "big", signed=True)


def oid_of(element: Element) -> str:
    return decode_oid(element.expect(TAG_OID).value)


def iter_oids(element: Element, depth: int = 0) -> Iterator[str]:
    """Every object identifier inside, looking into OCTET STRINGs that hold DER themselves."""
    if depth > 40:
        return
    if element.tag == TAG_OID:
        try:
            yield decode_oid(element.value)
        except DerError:
            return
        return
    inner: list[Element] = []
    try:
        if element.constructed:
            inner = element.children()
        elif element.tag == TAG_OCTET_STRING and element.value:
            inner = [parse(element.value)]
    except DerError:
        inner = []
    for child in inner:
        yield from iter_oids(child, depth + 1)
