"""Delivery backends: `.eml` files in the outbox folder, SMTP, or the console."""

from __future__ import annotations

import io
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTPUTF8
from pathlib import Path
from typing import Protocol, TextIO

from bankon_cli.config import Settings, SmtpSettings
from bankon_cli.mail.message import needs_smtputf8, wire_address


class SendError(Exception):
    """A message was not delivered; `temporary` says whether a later retry may succeed."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


class Connection(Protocol):
    def send(self, message: EmailMessage, recipient: str) -> None: ...


class MailBackend(Protocol):
    name: str

    def connect(self) -> AbstractContextManager[Connection]: ...


@dataclass
class FileBackend:
    """Writes each message as an RFC 5322 `.eml` file, atomically (temp file, then rename)."""

    folder: Path
    name: str = "file"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield _FileConnection(self.folder)


@dataclass
class _FileConnection:
    folder: Path

    def send(self, message: EmailMessage, recipient: str) -> None:
        message_id = str(message["Message-ID"]).strip("<>").split("@")[0]
        target = self.folder / f"{message_id}.eml"
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise SendError(
                f"не удалось записать {target}: {error.strerror}", temporary=True
            ) from None


@dataclass
class ConsoleBackend:
    """Prints messages to stdout, for trying things out."""

    stream: TextIO
    name: str = "console"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield _ConsoleConnection(self.stream)


@dataclass
class _ConsoleConnection:
    stream: TextIO

    def send(self, message: EmailMessage, recipient: str) -> None:
        self.stream.write(message.as_string())
        self.stream.write("\n" + "-" * 72 + "\n")
        self.stream.flush()


@dataclass
class SmtpBackend:
    """One SMTP connection per batch; TLS mode explicit: `ssl` (465) or `starttls` (587)."""

    settings: SmtpSettings
    password: str | None
    name: str = "smtp"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        client = self._open()
        try:
            yield _SmtpConnection(client)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            client.ehlo(s.helo)
            if s.security == "starttls":
                if not client.has_extn("starttls"):
                    client.close()
                    raise SendError(
                        f"SMTP-сервер {where} не поддерживает STARTTLS; проверьте "
                        "mail.smtp.security и порт (ssl — обычно 465, starttls — 587)",
                        temporary=False,
                    )
                client.starttls(context=context)
                client.ehlo(s.helo)
            if s.username:
                if self.password is None:
                    client.close()
                    raise SendError(
                        f"пароль SMTP не задан: переменная окружения {s.password_env} пуста",
                        temporary=False,
                    )
                client.login(s.username, self.password)
            return client
        except SendError:
            raise
        except ssl.SSLError as error:
            raise SendError(
                f"ошибка TLS при соединении с {where} ({error.reason}); проверьте "
                "mail.smtp.security: ssl — обычно порт 465, starttls — 587",
                temporary=False,
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(
                f"SMTP-сервер {where} отклонил логин: {error.smtp_code}", temporary=False
            ) from None
        except smtplib.SMTPServerDisconnected:
            raise SendError(
                f"SMTP-сервер {where} разорвал соединение; возможно, режим TLS не совпадает "
                "(mail.smtp.security: ssl — обычно 465, starttls — 587)",
                temporary=True,
            ) from None
        except TimeoutError:
            raise SendError(
                f"SMTP-сервер {where} не ответил за {s.timeout:g} с; если это порт с SSL "
                'с первого байта (обычно 465), укажите mail.smtp.security = "ssl"',
                temporary=True,
            ) from None
        except OSError as error:
            raise SendError(
                f"нет соединения с SMTP-сервером {where}: {error.strerror or error}",
                temporary=True,
            ) from None
        except smtplib.SMTPException as error:
            raise SendError(f"ошибка SMTP-сервера {where}: {error}", temporary=True) from None


@dataclass
class _SmtpConnection:
    client: smtplib.SMTP

    def send(self, message: EmailMessage, recipient: str) -> None:
        international = needs_smtputf8(recipient)
        if international and not self.client.has_extn("smtputf8"):
            raise SendError(
                f"адрес {recipient} требует SMTPUTF8, а сервер его не поддерживает",
                temporary=False,
            )
        sender = str(message["From"].addresses[0].addr_spec)
        # Serialised here rather than by smtplib.send_message, which would add SMTPUTF8 a
        # second time to the MAIL command for an international recipient.
        policy = SMTPUTF8 if international else message.policy
        buffer = io.BytesIO()
        BytesGenerator(buffer, policy=policy).flatten(message, linesep="\r\n")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        try:
            self.client.sendmail(
                sender, [wire_address(recipient)], buffer.getvalue(), mail_options=options
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise SendError(
                f"сервер отклонил адрес {recipient}: {code} {_decode(text)}",
                temporary=400 <= code < 500,
            ) from None
        except smtplib.SMTPResponseException as error:
            raise SendError(
                f"сервер ответил {error.smtp_code} {_decode(error.smtp_error)}",
                temporary=400 <= error.smtp_code < 500,
            ) from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise SendError(
                f"соединение с SMTP-сервером прервано: {error}", temporary=True
            ) from None


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def backend_from_settings(settings: Settings, stdout: TextIO) -> MailBackend:
    backend = settings.mail.backend
    if backend == "smtp":
        password = os.environ.get(settings.mail.smtp.password_env) or None
        return SmtpBackend(settings.mail.smtp, password)
    if backend == "console":
        return ConsoleBackend(stdout)
    return FileBackend(settings.outbox_path)
