"""Cyrillic headers survive folding: every space kept, every encoded word within RFC 2047's 75."""

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32, default

import pytest

from bankon_cli.mail.message import Content, build_message

LONG_SUBJECT = "Напоминание: завершите регистрацию на портале Банкон24"
LONG_NAME = "Константинопольская Виктория Александровна (главный бухгалтер)"


def _message(subject: str, recipient_name: str, sender: str) -> bytes:
    message = build_message(
        sender=sender,
        recipient_name=recipient_name,
        recipient_email="info@r-pharm.com",
        content=Content(subject, "текст", "<p>текст</p>"),
        link=None,
        sent_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    )
    return message.as_bytes()


def _decoded(raw: bytes, header: str) -> str:
    return str(make_header(decode_header(message_from_bytes(raw, policy=compat32)[header])))


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        (LONG_SUBJECT, LONG_NAME),
        ("Приглашение на портал Банкон24", "Игнатьев Валентин Петрович"),
        ("Приглашение на портал Банкон24", "Игнатьев В."),
    ],
)
def test_long_cyrillic_headers_keep_every_space(subject, name):
    sender_name = "Банкон24 Служба поддержки клиентов портала"
    raw = _message(subject, name, f"{sender_name} <noreply@example.ru>")
    assert _decoded(raw, "Subject") == subject
    assert _decoded(raw, "To") == f"{name} <info@r-pharm.com>"
    assert _decoded(raw, "From") == f"{sender_name} <noreply@example.ru>"
    # Python's own parser of unstructured headers agrees for the subject.
    assert message_from_bytes(raw, policy=default)["Subject"] == subject


def test_encoded_words_and_lines_stay_within_the_limits():
    raw = _message(LONG_SUBJECT, LONG_NAME, "Банкон24 <noreply@example.ru>")
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", head, flags=re.IGNORECASE)
    assert words, head
    assert max(len(word) for word in words) <= 75
    assert max(len(line) for line in head.split("\r\n")) <= 78


def test_only_the_display_name_is_encoded():
    raw = _message(LONG_SUBJECT, LONG_NAME, "Банкон24 <noreply@example.ru>")
    to_line = re.search(rb"^To: (.*?)\r\n(?! )", raw, flags=re.MULTILINE | re.DOTALL)
    assert to_line is not None
    assert to_line.group(1).endswith(b"<info@r-pharm.com>")
