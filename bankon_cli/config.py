"""Settings from the config file and the environment; every key has a default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bankon_cli.domain.durations import parse_duration
from bankon_cli.errors import ConfigError

APP_NAME = "bankon"


def data_dir() -> Path:
    """`BANKON_HOME`, else the platform's user data folder."""
    home = os.environ.get("BANKON_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = "BANKON_SMTP_PASSWORD"  # noqa: S105 - a variable name, not a password
    timeout: float = 30.0
    helo: str = ""


@dataclass(frozen=True)
class MailSettings:
    backend: str = "file"
    sender: str = "Банкон24 <noreply@example.ru>"
    outbox_dir: str = ""
    max_attempts: int = 8
    retry_base: timedelta = timedelta(minutes=5)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)


@dataclass(frozen=True)
class InviteSettings:
    portal_url: str = "https://portal.example/register?token={token}"
    ttl: timedelta = timedelta(days=14)
    resend_cooldown: timedelta = timedelta(hours=1)
    remind_after: timedelta = timedelta(days=3)
    max_reminders: int = 3
    quiet_hours: str = "21:00-09:00"
    timezone: str = "Europe/Moscow"


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    agent_inn: str = ""
    check_deliverability: bool = False
    home: Path = field(default_factory=data_dir)
    config_path: Path | None = None
    invite: InviteSettings = field(default_factory=InviteSettings)
    mail: MailSettings = field(default_factory=MailSettings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'bankon.db'}"

    @property
    def outbox_path(self) -> Path:
        return (
            Path(self.mail.outbox_dir).expanduser()
            if self.mail.outbox_dir
            else self.home / "outbox"
        )


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"Раздел [{name}] конфигурации должен быть таблицей")
    return value


def _str(section: dict[str, Any], key: str, default: str, where: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"Параметр {where}.{key} конфигурации должен быть строкой")
    return value


def _int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"Параметр {where}.{key} конфигурации должен быть целым числом ≥ 0")
    return value


def _duration(
    section: dict[str, Any], key: str, default: timedelta, where: str, *, positive: bool = False
) -> timedelta:
    if key not in section:
        return default
    value = section[key]
    if not isinstance(value, str):
        raise ConfigError(
            f'Параметр {where}.{key} конфигурации: длительность пишется строкой, например "14d"'
        )
    try:
        duration = parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"Параметр {where}.{key} конфигурации: {error}") from None
    if positive and not duration:
        raise ConfigError(f"Параметр {where}.{key} конфигурации: длительность должна быть больше 0")
    return duration


def _port(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = _int(section, key, default, where)
    if not 1 <= value <= 65535:
        raise ConfigError(f"Параметр {where}.{key} конфигурации должен быть от 1 до 65535")
    return value


def _seconds(section: dict[str, Any], key: str, default: float, where: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"Параметр {where}.{key} конфигурации: число секунд больше 0")
    return float(value)


def _sender(section: dict[str, Any], default: str) -> str:
    """`mail.from`: an address, optionally with a display name (`Банкон24 <noreply@…>`)."""
    from email.utils import parseaddr

    value = _str(section, "from", default, "mail")
    _name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        raise ConfigError(
            f"Параметр mail.from конфигурации: «{value}» — нужен адрес, например "
            '"Банкон24 <noreply@example.ru>"'
        )
    return value


def _timezone(section: dict[str, Any], default: str) -> str:
    from zoneinfo import ZoneInfo

    value = _str(section, "timezone", default, "invite")
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ConfigError(
            f"Параметр invite.timezone конфигурации: неизвестный часовой пояс «{value}» "
            "(например, Europe/Moscow)"
        ) from None
    return value


def _choice(
    section: dict[str, Any], key: str, default: str, where: str, choices: tuple[str, ...]
) -> str:
    value = _str(section, key, default, where)
    if value not in choices:
        raise ConfigError(
            f"Параметр {where}.{key} конфигурации: «{value}» — допустимо: {', '.join(choices)}"
        )
    return value


def find_config_path(explicit: Path | None) -> Path | None:
    """`--config`, then `BANKON_CONFIG`, then the user config folder (if the file exists)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"Файл конфигурации {explicit} не найден")
        return explicit
    from_env = os.environ.get("BANKON_CONFIG")
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise ConfigError(f"Файл конфигурации {path} (BANKON_CONFIG) не найден")
        return path
    path = default_config_path()
    return path if path.is_file() else None


def load_settings(explicit_path: Path | None = None) -> Settings:
    path = find_config_path(explicit_path)
    raw: dict[str, Any] = {}
    if path is not None:
        import tomllib  # only when there is a file: most runs have none

        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"Файл конфигурации {path} не читается: {error}") from None
        except OSError as error:
            raise ConfigError(
                f"Файл конфигурации {path} не читается: {error.strerror or error}"
            ) from None
    return settings_from_mapping(raw, path)


KNOWN_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"database", "agent", "invite", "mail", "email"}),
    "database": frozenset({"url"}),
    "agent": frozenset({"inn"}),
    "email": frozenset({"check_deliverability"}),
    "invite": frozenset(
        {
            "portal_url",
            "ttl",
            "resend_cooldown",
            "remind_after",
            "max_reminders",
            "quiet_hours",
            "timezone",
        }
    ),
    "mail": frozenset({"backend", "from", "outbox_dir", "max_attempts", "retry_base", "smtp"}),
    "mail.smtp": frozenset(
        {"host", "port", "security", "username", "password_env", "password", "timeout", "helo"}
    ),
}


def check_known_keys(raw: dict[str, Any]) -> None:
    """A misspelt key (`tll` for `ttl`) would silently keep the default: refuse it instead."""
    for where, known in KNOWN_KEYS.items():
        table: Any = raw
        for part in where.split(".") if where else []:
            table = table.get(part, {}) if isinstance(table, dict) else {}
        if not isinstance(table, dict):
            continue
        unknown = sorted(set(table) - known)
        if unknown:
            name = f"{where}.{unknown[0]}" if where else unknown[0]
            raise ConfigError(
                f"Неизвестный параметр {name} в конфигурации; допустимые ключи описаны в "
                "config.example.toml"
            )


def settings_from_mapping(raw: dict[str, Any], path: Path | None = None) -> Settings:
    check_known_keys(raw)
    database = _section(raw, "database")
    agent = _section(raw, "agent")
    invite = _section(raw, "invite")
    mail = _section(raw, "mail")
    smtp = _section(mail, "smtp")
    email = _section(raw, "email")
    defaults_invite = InviteSettings()
    defaults_mail = MailSettings()
    defaults_smtp = SmtpSettings()

    portal_url = _str(invite, "portal_url", defaults_invite.portal_url, "invite")
    if "{token}" not in portal_url:
        raise ConfigError("Параметр invite.portal_url конфигурации должен содержать {token}")
    if not portal_url.startswith(("https://", "http://")):
        raise ConfigError(
            "Параметр invite.portal_url конфигурации должен начинаться с https:// или http://"
        )
    invite_settings = InviteSettings(
        portal_url=portal_url,
        ttl=_duration(invite, "ttl", defaults_invite.ttl, "invite", positive=True),
        resend_cooldown=_duration(
            invite, "resend_cooldown", defaults_invite.resend_cooldown, "invite"
        ),
        remind_after=_duration(invite, "remind_after", defaults_invite.remind_after, "invite"),
        max_reminders=_int(invite, "max_reminders", defaults_invite.max_reminders, "invite"),
        quiet_hours=_str(invite, "quiet_hours", defaults_invite.quiet_hours, "invite"),
        timezone=_timezone(invite, defaults_invite.timezone),
    )
    smtp_settings = SmtpSettings(
        host=_str(smtp, "host", defaults_smtp.host, "mail.smtp"),
        port=_port(smtp, "port", defaults_smtp.port, "mail.smtp"),
        security=_choice(
            smtp, "security", defaults_smtp.security, "mail.smtp", ("starttls", "ssl", "none")
        ),
        username=_str(smtp, "username", defaults_smtp.username, "mail.smtp"),
        password_env=_str(smtp, "password_env", defaults_smtp.password_env, "mail.smtp"),
        timeout=_seconds(smtp, "timeout", defaults_smtp.timeout, "mail.smtp"),
        helo=_str(smtp, "helo", defaults_smtp.helo, "mail.smtp"),
    )
    if "password" in smtp:
        raise ConfigError(
            "Пароль SMTP не хранится в файле конфигурации: удалите mail.smtp.password и "
            "задайте переменную окружения, названную в mail.smtp.password_env"
        )
    mail_settings = MailSettings(
        backend=_choice(
            mail, "backend", defaults_mail.backend, "mail", ("file", "smtp", "console")
        ),
        sender=_sender(mail, defaults_mail.sender),
        outbox_dir=_str(mail, "outbox_dir", defaults_mail.outbox_dir, "mail"),
        max_attempts=_int(mail, "max_attempts", defaults_mail.max_attempts, "mail"),
        retry_base=_duration(mail, "retry_base", defaults_mail.retry_base, "mail"),
        smtp=smtp_settings,
    )
    database_url = os.environ.get("BANKON_DATABASE_URL") or _str(database, "url", "", "database")
    agent_inn = os.environ.get("BANKON_AGENT") or _str(agent, "inn", "", "agent")
    check = email.get("check_deliverability", False)
    if not isinstance(check, bool):
        raise ConfigError(
            "Параметр email.check_deliverability конфигурации должен быть true или false"
        )
    return Settings(
        database_url=database_url,
        agent_inn=agent_inn,
        check_deliverability=check,
        home=data_dir(),
        config_path=path,
        invite=invite_settings,
        mail=mail_settings,
    )
