"""`client add` with the SMTP backend against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import R_PHARM
from tests.helpers import query_rows, table_counts

NAME, INN, CONTACT, REGION, EMAIL = R_PHARM
SENDER = "Банкон24 Поддержка <noreply@bankon.test>"
PORTAL = "https://bankon.test/invite/{token}?src=mail"
LINK = re.compile(r"https://bankon\.test/invite/([A-Za-z0-9_-]+)\?src=mail")


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class Recorder:
    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Envelope(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                )
            )
        return "250 2.0.0 OK"


@pytest.fixture(autouse=True)
def fixed_now(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANKON_NOW", "2026-12-03T12:00:00+00:00")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


def smtp_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "smtp.toml"
    path.write_text(
        f'[invite]\nportal_url = "{PORTAL}"\n'
        f'[mail]\nbackend = "smtp"\nfrom = "{SENDER}"\n'
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
        encoding="utf-8",
    )
    return path


def add(cli, config: Path, email_address: str = EMAIL, *extra: str):  # type: ignore[no-untyped-def]
    return cli(
        "--config",
        str(config),
        "client",
        "add",
        "--inn",
        INN,
        "--contact",
        CONTACT,
        "--name",
        NAME,
        "--email",
        email_address,
        *extra,
    )


def raw_headers(data: bytes) -> dict[str, str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers on the wire are ASCII
    unfolded = re.sub(r"\r\n[ \t]+", " ", head)
    return dict(line.split(": ", 1) for line in unfolded.split("\r\n"))


def test_invitation_is_delivered_over_smtp(cli, agent, tmp_path, db_url, smtp_server):  # type: ignore[no-untyped-def]
    controller, recorder = smtp_server
    result = add(cli, smtp_config(tmp_path, controller.port))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith(f"Приглашение отправлено на {EMAIL}\n")
    [received] = recorder.received
    assert received.mail_from == "noreply@bankon.test"
    assert received.rcpt_tos == [EMAIL]

    # On the wire: only the display names are RFC 2047 encoded; addresses stay readable.
    headers = raw_headers(received.data)
    assert re.fullmatch(r"(=\?utf-8\?[bq]\?[^?]+\?=\s*)+", headers["Subject"], re.IGNORECASE)
    assert re.fullmatch(
        r"(=\?utf-8\?[bq]\?[^?]+\?=\s*)+<noreply@bankon\.test>", headers["From"], re.IGNORECASE
    )
    assert re.fullmatch(
        r"(=\?utf-8\?[bq]\?[^?]+\?=\s*)+<info@r-pharm\.com>", headers["To"], re.IGNORECASE
    )
    assert "Message-ID" in headers and "Date" in headers

    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "Приглашение на портал Банкон24"
    assert message["From"].addresses[0].display_name == "Банкон24 Поддержка"
    assert message["From"].addresses[0].addr_spec == "noreply@bankon.test"
    assert message["To"].addresses[0].display_name == CONTACT
    assert message["To"].addresses[0].addr_spec == EMAIL
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    text_body, html_body = text.get_content(), html.get_content()
    assert text_body.startswith("Здравствуйте, Игнатьев В.!")
    assert "пригласил компанию «АО Р-ФАРМ» на портал Банкон24" in text_body
    assert "Ссылка действительна до 17.12.2026 15:00 (МСК)." in text_body
    assert "Ссылка действительна до 17.12.2026 15:00 (МСК)." in html_body

    # The link: the configured portal URL with a token whose SHA-256 is stored, in both parts.
    [token] = LINK.findall(text_body)
    assert LINK.findall(html_body.replace("&amp;", "&")) == [token]
    assert len(token) >= 22
    stored = [
        row["token_hash"] for row in query_rows(db_url, "SELECT token_hash FROM invite_tokens")
    ]
    assert stored == [hashlib.sha256(token.encode("ascii")).hexdigest()]
    for row in query_rows(db_url, "SELECT subject, body_text, body_html, last_error FROM outbox"):
        assert not any(value and token in value for value in row.values())

    [outbox] = query_rows(db_url, "SELECT status, attempts, last_error FROM outbox")
    assert outbox == {"status": "sent", "attempts": 1, "last_error": None}
    [invitation] = query_rows(db_url, "SELECT times_sent, last_sent_at FROM invitations")
    assert invitation["times_sent"] == 1 and invitation["last_sent_at"] is not None


@pytest.mark.parametrize(
    ("typed", "stored", "on_the_wire"),
    [
        ("buh@Пример.РФ", "buh@пример.рф", "buh@xn--e1afmkfd.xn--p1ai"),
        (
            "zakaz@почта.москва.рф",
            "zakaz@почта.москва.рф",
            "zakaz@xn--80a1acny.xn--80adxhks.xn--p1ai",
        ),
        # IDNA 2008: ß stays ß (IDNA 2003 would send this to the other domain strasse.de).
        ("info@Straße.de", "info@straße.de", "info@xn--strae-oqa.de"),
    ],
)
def test_idn_recipient_goes_as_punycode(
    cli,
    agent,
    tmp_path,
    smtp_server,
    typed,
    stored,  # type: ignore[no-untyped-def]
    on_the_wire,
):
    controller, recorder = smtp_server
    result = add(cli, smtp_config(tmp_path, controller.port), typed, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert f'"email": "{stored}"' in result.stdout
    [received] = recorder.received
    assert received.rcpt_tos == [on_the_wire]
    assert raw_headers(received.data)["To"].endswith(f"<{on_the_wire}>")
    assert received.data.isascii()


def test_server_down_keeps_the_client_and_the_queued_message(cli, agent, tmp_path, db_url, home):  # type: ignore[no-untyped-def]
    port = free_port()  # nothing listens there
    result = add(cli, smtp_config(tmp_path, port))
    assert result.exit_code == 1
    error = (
        f"клиент сохранён, но приглашение не отправлено: нет соединения с SMTP-сервером "
        f"127.0.0.1:{port}: Connection refused. Письмо осталось в очереди; "
        "повторить: bankon mail send"
    )
    assert result.stderr == (
        f"Клиент добавлен: АО Р-ФАРМ, ИНН 7726311464, статус «На рассмотрении»\nОшибка: {error}\n"
    )
    assert "Traceback" not in result.stderr
    counts = table_counts(db_url)
    assert (counts["clients"], counts["outbox"], counts["invitations"]) == (1, 1, 1)
    [outbox] = query_rows(db_url, "SELECT status, attempts, last_error, sent_at FROM outbox")
    assert outbox == {
        "status": "queued",
        "attempts": 1,
        "last_error": f"нет соединения с SMTP-сервером 127.0.0.1:{port}: Connection refused",
        "sent_at": None,
    }
    [invitation] = query_rows(db_url, "SELECT times_sent, last_sent_at FROM invitations")
    assert invitation == {"times_sent": 0, "last_sent_at": None}
    assert [row["status"] for row in query_rows(db_url, "SELECT status FROM clients")] == [
        "pending"
    ]


def test_server_down_with_json_output_still_prints_the_client(cli, agent, tmp_path):  # type: ignore[no-untyped-def]
    result = add(cli, smtp_config(tmp_path, free_port()), EMAIL, "--format", "json")
    assert result.exit_code == 1
    assert '"inn": "7726311464"' in result.stdout
    assert result.stderr.count("Ошибка: ") == 1


def test_cyrillic_mailbox_goes_with_smtputf8(cli, agent, tmp_path):  # type: ignore[no-untyped-def]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    try:
        result = add(cli, smtp_config(tmp_path, controller.port), "Иван@Пример.рф")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.stderr
    [received] = recorder.received
    assert received.rcpt_tos == ["Иван@xn--e1afmkfd.xn--p1ai"]
    # RFC 6532: the headers are UTF-8, the address is never RFC 2047-encoded.
    message = email.message_from_string(received.data.decode("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "Иван@xn--e1afmkfd.xn--p1ai"
    assert message["Subject"] == "Приглашение на портал Банкон24"
    assert b"=?utf-8?" not in received.data.split(b"\r\n\r\n", 1)[0]
