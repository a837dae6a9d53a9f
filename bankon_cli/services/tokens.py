"""Invite tokens: 128+ bits from `secrets`, stored only as SHA-256, compared through hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

TOKEN_BYTES = 24  # 192 bits


def new_token() -> str:
    """A URL-safe token that never starts with `-` (a shell command would take it for an option)."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hashes_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))


def unguessable_placeholder_hash() -> str:
    """A hash no token will ever match: the real token is minted when the email is sent."""
    return token_hash("unsent:" + secrets.token_hex(32))


def invite_link(portal_url: str, token: str) -> str:
    return portal_url.replace("{token}", token)


def token_from_link_or_token(text: str) -> str:
    """Accept the bare token or the whole link from the email."""
    text = text.strip()
    if "://" not in text:
        return text
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    if query.get("token"):
        return query["token"][0]
    return parts.path.rstrip("/").rsplit("/", 1)[-1]
