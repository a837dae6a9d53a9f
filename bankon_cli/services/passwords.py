"""Account passwords: the policy, and scrypt hashes with a per-user salt and their parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
from dataclasses import dataclass

from bankon_cli.errors import InvalidInput

FIELD_PASSWORD = "Пароль"  # noqa: S105 - a field label
FIELD_LOGIN = "Логин"
MIN_LENGTH = 10
MAX_LENGTH = 128
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

# Passwords people pick first; a real deployment would add a breached-passwords list.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0987654321",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password123",
        "password1234",
        "qwerty12345",
        "qwerty123456",
        "йцукенгшщз",
        "пароль1234",
        "пароль12345",
        "administrator",
        "abcdefghij",
        "zaq12wsxcde3",
    }
)


@dataclass(frozen=True)
class ScryptParameters:
    """N = 2**log2_n, r, p: 2**15 × 8 uses 32 MiB and about 0.1 s per hash."""

    log2_n: int = 15
    block_size: int = 8
    parallelism: int = 1
    length: int = 32

    @property
    def max_memory(self) -> int:
        return int(2 * 128 * self.block_size * (2**self.log2_n) * self.parallelism)


DEFAULT_PARAMETERS = ScryptParameters()


def normalise_login(raw: str | None) -> str:
    """Logins are case-insensitive: stored in lower case."""
    return (raw or "").strip().lower()


def check_login(raw: str | None) -> str:
    login = normalise_login(raw)
    if not login:
        raise InvalidInput(FIELD_LOGIN, "не заполнено")
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput(
            FIELD_LOGIN,
            f"«{login}» — от 3 до 64 символов: латинские буквы, цифры, точка, дефис, "
            "подчёркивание; начинается с буквы или цифры",
        )
    return login


def password_problem(
    password: str, *, login: str = "", inn: str = "", email: str = ""
) -> str | None:
    """Why `password` is not acceptable (never echoing it), or None."""
    if len(password) < MIN_LENGTH:
        return f"не короче {MIN_LENGTH} символов"
    if len(password) > MAX_LENGTH:
        return f"не длиннее {MAX_LENGTH} символов"
    if password != password.strip():
        return "не должен начинаться или заканчиваться пробелом"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        return "содержит управляющие символы"
    folded = password.casefold()
    if len(set(folded)) < 5:
        return "слишком однообразный: нужно хотя бы 5 разных символов"
    if folded in COMMON_PASSWORDS or _is_sequence(folded):
        return "слишком простой (из списка распространённых паролей)"
    personal = [login, inn, email.split("@", 1)[0]]
    if any(part and len(part) >= 3 and part.casefold() in folded for part in personal):
        return "не должен содержать логин, ИНН или имя из email"
    return None


def check_password(password: str, *, login: str = "", inn: str = "", email: str = "") -> None:
    problem = password_problem(password, login=login, inn=inn, email=email)
    if problem is not None:
        raise InvalidInput(FIELD_PASSWORD, problem)


def _is_sequence(text: str) -> bool:
    steps = {ord(right) - ord(left) for left, right in itertools.pairwise(text)}
    return steps <= {1} or steps <= {-1}


def hash_password(password: str, parameters: ScryptParameters = DEFAULT_PARAMETERS) -> str:
    """`scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64 without padding): self-describing."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, parameters)
    return (
        f"scrypt$ln={parameters.log2_n},r={parameters.block_size},p={parameters.parallelism}"
        f"${_b64(salt)}${_b64(digest)}"
    )


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, settings, salt_text, digest_text = encoded.split("$")
        values = dict(item.split("=", 1) for item in settings.split(","))
        parameters = ScryptParameters(
            log2_n=int(values["ln"]),
            block_size=int(values["r"]),
            parallelism=int(values["p"]),
            length=len(_unb64(digest_text)),
        )
        salt, expected = _unb64(salt_text), _unb64(digest_text)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(_scrypt(password, salt, parameters), expected)


def _scrypt(password: str, salt: bytes, parameters: ScryptParameters) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**parameters.log2_n,
        r=parameters.block_size,
        p=parameters.parallelism,
        maxmem=parameters.max_memory,
        dklen=parameters.length,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))
