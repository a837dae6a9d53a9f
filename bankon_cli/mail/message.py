"""Building RFC 5322 messages: Russian text and HTML, encoded display names, IDN domains."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTPUTF8, EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

LINK_PLACEHOLDER = "{{ссылка}}"


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str


def invitation_content(
    *, contact_name: str, company_name: str, agent_name: str, expires_at_text: str, reminder: bool
) -> Content:
    """The invitation (or reminder) with LINK_PLACEHOLDER where the registration link goes."""
    greeting = f"Здравствуйте, {contact_name}!"
    if reminder:
        subject = "Напоминание: завершите регистрацию на портале Банкон24"
        lead = (
            f"Напоминаем, что агент {agent_name} пригласил компанию «{company_name}» на портал "
            "Банкон24, а регистрация ещё не завершена."
        )
    else:
        subject = "Приглашение на портал Банкон24"
        lead = f"Агент {agent_name} пригласил компанию «{company_name}» на портал Банкон24."
    steps = [
        "перейдите по ссылке и выберите способ регистрации (с ЭЦП или без);",
        "проверьте и дополните данные, придумайте логин и пароль;",
        "в личном кабинете пройдите аккредитацию, указав должность владельца ЭЦП.",
    ]
    text = "\n".join(
        [
            greeting,
            "",
            lead,
            "",
            "Чтобы завершить регистрацию:",
            *(f"  {number}. {step}" for number, step in enumerate(steps, 1)),
            "",
            f"Ссылка для регистрации: {LINK_PLACEHOLDER}",
            f"Ссылка действительна до {expires_at_text}.",
            "",
            "Если письмо пришло вам по ошибке, просто удалите его.",
            "",
            "Служба поддержки Банкон24",
        ]
    )
    e = html.escape
    html_steps = "".join(f"<li>{e(step)}</li>" for step in steps)
    html_body = (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head><body>'
        f"<p>{e(greeting)}</p><p>{e(lead)}</p>"
        f"<p>Чтобы завершить регистрацию:</p><ol>{html_steps}</ol>"
        f'<p><a href="{LINK_PLACEHOLDER}">Завершить регистрацию</a></p>'
        f"<p>Ссылка действительна до {e(expires_at_text)}.</p>"
        "<p>Если письмо пришло вам по ошибке, просто удалите его.</p>"
        "<p>Служба поддержки Банкон24</p></body></html>"
    )
    return Content(subject=subject, text=text, html=html_body)


def wire_address(address: str) -> str:
    """The address as it goes on the wire: an IDN domain in its ASCII (punycode) form.

    IDNA 2008 with UTS 46, as email-validator checked it: Python's own "idna" codec is
    IDNA 2003, which maps `straße.de` to the different domain `strasse.de`.
    """
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    import idna

    return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"


def needs_smtputf8(address: str) -> bool:
    """A non-ASCII local part can only travel where the server offers SMTPUTF8."""
    return not address.rpartition("@")[0].isascii()


def parse_sender(sender: str) -> tuple[str, str]:
    name, address = parseaddr(sender)
    return name, address


_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})


class EncodedWordPolicy(EmailPolicy):
    """SMTP policy that folds non-ASCII headers with the legacy RFC 2047 encoder.

    Python 3.11's new folder drops the space between encoded words when it folds a long
    Cyrillic subject or display name («завершите регистрацию» arrives as
    «завершитерегистрацию»); `email.header.Header` keeps the spaces inside the words.
    """

    def fold(self, name: str, value: Any) -> str:
        folded = self._fold_non_ascii(name, value)
        return folded if folded is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded = self._fold_non_ascii(name, value)
        return folded.encode("ascii") if folded is not None else super().fold_binary(name, value)

    def _fold_non_ascii(self, name: str, value: Any) -> str | None:
        if self.utf8 or str(value).isascii():
            return None
        if name.lower() in _ADDRESS_HEADERS and hasattr(value, "addresses"):
            parts = []
            for address in value.addresses:
                display = address.display_name
                if display and not display.isascii():
                    encoded = Header(display, "utf-8", header_name=name).encode(
                        linesep=self.linesep, maxlinelen=75
                    )
                    parts.append(f"{encoded} <{address.addr_spec}>")
                else:
                    parts.append(str(address))
            body = ", ".join(parts)
        else:
            body = Header(str(value), "utf-8", header_name=name).encode(
                linesep=self.linesep, maxlinelen=75
            )
        return f"{name}: {body}{self.linesep}"


SMTP_ENCODED_WORDS = EncodedWordPolicy(linesep="\r\n")


def build_message(
    *,
    sender: str,
    recipient_name: str,
    recipient_email: str,
    content: Content,
    link: str | None,
    sent_at: datetime,
    message_id_domain: str = "bankon.local",
) -> EmailMessage:
    """A multipart/alternative message; only the display names are encoded (RFC 2047)."""
    text, html_body = content.text, content.html
    if link is not None:
        text = text.replace(LINK_PLACEHOLDER, link)
        html_body = html_body.replace(LINK_PLACEHOLDER, html.escape(link, quote=True))
    sender_name, sender_address = parse_sender(sender)
    # A Cyrillic local part cannot be RFC 2047-encoded (not inside an address): such a
    # message carries UTF-8 headers (RFC 6532) and travels only with SMTPUTF8.
    international = needs_smtputf8(recipient_email)
    message = EmailMessage(policy=SMTPUTF8 if international else SMTP_ENCODED_WORDS)
    message["Subject"] = content.subject
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(recipient_name, recipient_email)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    message["MIME-Version"] = "1.0"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html_body, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _address(display_name: str, address: str) -> Address:
    local, _, domain = wire_address(address).rpartition("@")
    return Address(display_name=display_name, username=local, domain=domain)
