"""Configuration: --config, then BANKON_CONFIG, then the user folder; env overrides; bad values."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bankon_cli.config import Settings, settings_from_mapping
from tests.conftest import AGENT_INN
from tests.helpers import table_counts

AGENT_B = "5003052454"
AGENT_C = "5403123452"
AGENT_D = "6601122332"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def agent_config(path: Path, inn: str) -> Path:
    return write(path, f'[agent]\ninn = "{inn}"\n')


def test_every_key_has_a_default() -> None:
    settings = settings_from_mapping({})
    assert settings.database_url == os.environ.get("BANKON_DATABASE_URL", "")
    assert settings.invite.portal_url == "https://portal.example/register?token={token}"
    assert settings.invite.ttl == timedelta(days=14)
    assert settings.mail.backend == "file"
    assert settings.mail.sender == "Банкон24 <noreply@example.ru>"
    smtp = settings.mail.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password_env) == (
        "localhost",
        587,
        "starttls",
        "",
        "BANKON_SMTP_PASSWORD",
    )
    assert settings.check_deliverability is False


def test_example_config_file_parses_to_the_defaults(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import tomllib

    monkeypatch.delenv("BANKON_DATABASE_URL", raising=False)
    monkeypatch.delenv("BANKON_AGENT", raising=False)
    example = Path(__file__).parents[2] / "config.example.toml"
    from_file = settings_from_mapping(tomllib.loads(example.read_text(encoding="utf-8")))
    defaults = settings_from_mapping({})
    assert from_file == defaults


def test_config_lookup_order(cli, agent, tmp_path, home, monkeypatch):  # type: ignore[no-untyped-def]
    for inn, name in ((AGENT_B, "Б"), (AGENT_C, "В"), (AGENT_D, "Г")):
        assert cli("agent", "add", "--inn", inn, "--name", name).exit_code == 0
    user = agent_config(home / "xdg-config" / "bankon" / "config.toml", AGENT_B)
    from_env = agent_config(tmp_path / "env.toml", AGENT_C)
    explicit = agent_config(tmp_path / "explicit.toml", AGENT_D)
    clients = iter(["4346051140", "3257031038", "7705923096", "7809018702"])

    def added_for(*prefix: str) -> str:
        result = cli(
            *prefix,
            "client",
            "add",
            "--inn",
            next(clients),
            "--name",
            "К",
            "--contact",
            "К",
            "--email",
            "k@example.ru",
            "--no-invite",
            "-f",
            "json",
        )
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["agent_inn"]  # type: ignore[no-any-return]

    assert added_for() == AGENT_B  # the user config folder
    monkeypatch.setenv("BANKON_CONFIG", str(from_env))
    assert added_for() == AGENT_C  # BANKON_CONFIG beats the user folder
    assert added_for("--config", str(explicit)) == AGENT_D  # --config beats both
    monkeypatch.setenv("BANKON_AGENT", AGENT_INN)
    assert added_for("--config", str(explicit)) == AGENT_INN  # BANKON_AGENT beats the file
    assert user.exists()


def test_bankon_database_url_overrides_the_config(cli, db_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    other = tmp_path / "other.db"
    config = write(tmp_path / "c.toml", f'[database]\nurl = "sqlite:///{other}"\n')
    status = json.loads(cli("--config", str(config), "db", "status", "-f", "json").stdout)
    from sqlalchemy.engine import make_url

    assert status["database"] == make_url(db_url).render_as_string(hide_password=True)
    monkeypatch.delenv("BANKON_DATABASE_URL")
    assert (
        cli("--config", str(config), "agent", "add", "--inn", AGENT_INN, "--name", "А").exit_code
        == 0
    )
    status = json.loads(cli("--config", str(config), "db", "status", "-f", "json").stdout)
    assert status["database"] == f"sqlite:///{other}"
    assert table_counts(f"sqlite:///{other}")["agents"] == 1


def test_default_database_is_sqlite_in_bankon_home(cli, home, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BANKON_DATABASE_URL")
    assert cli("agent", "add", "--inn", AGENT_INN, "--name", "А").exit_code == 0
    assert (home / "bankon.db").is_file()
    assert table_counts(f"sqlite:///{home / 'bankon.db'}")["agents"] == 1


def test_sqlite_pragmas(app_ctx, db_url) -> None:  # type: ignore[no-untyped-def]
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    from sqlalchemy import text

    with app_ctx.session_factory() as session:
        connection = session.connection()
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


BAD_CONFIGS = [
    (
        "[invite]\nttl = 14\n",
        'Параметр invite.ttl конфигурации: длительность пишется строкой, например "14d"',
    ),
    (
        '[invite]\nttl = "2 weeks"\n',
        "Параметр invite.ttl конфигурации: «2 weeks» не является длительностью; "
        "пишите число и единицу: 30m, 12h, 14d",
    ),
    (
        '[invite]\nttl = "0d"\n',
        "Параметр invite.ttl конфигурации: длительность должна быть больше 0",
    ),
    (
        '[invite]\nportal_url = "https://portal.example/register"\n',
        "Параметр invite.portal_url конфигурации должен содержать {token}",
    ),
    (
        '[invite]\nportal_url = "portal.example/{token}"\n',
        "Параметр invite.portal_url конфигурации должен начинаться с https:// или http://",
    ),
    (
        '[invite]\ntimezone = "Europe/Mockba"\n',
        "Параметр invite.timezone конфигурации: неизвестный часовой пояс «Europe/Mockba» "
        "(например, Europe/Moscow)",
    ),
    (
        '[mail]\nbackend = "sendmail"\n',
        "Параметр mail.backend конфигурации: «sendmail» — допустимо: file, smtp, console",
    ),
    (
        '[mail]\nfrom = "noreply"\n',
        "Параметр mail.from конфигурации: «noreply» — нужен адрес, например "
        '"Банкон24 <noreply@example.ru>"',
    ),
    (
        '[mail.smtp]\nport = "587"\n',
        "Параметр mail.smtp.port конфигурации должен быть целым числом ≥ 0",
    ),
    ("[mail.smtp]\nport = 0\n", "Параметр mail.smtp.port конфигурации должен быть от 1 до 65535"),
    (
        "[mail.smtp]\nport = 70000\n",
        "Параметр mail.smtp.port конфигурации должен быть от 1 до 65535",
    ),
    (
        '[mail.smtp]\nsecurity = "tls"\n',
        "Параметр mail.smtp.security конфигурации: «tls» — допустимо: starttls, ssl, none",
    ),
    (
        "[mail.smtp]\ntimeout = -1\n",
        "Параметр mail.smtp.timeout конфигурации: число секунд больше 0",
    ),
    ("[mail.smtp]\nhost = 1\n", "Параметр mail.smtp.host конфигурации должен быть строкой"),
    (
        '[mail.smtp]\npassword = "hunter2"\n',
        "Пароль SMTP не хранится в файле конфигурации: удалите mail.smtp.password и задайте "
        "переменную окружения, названную в mail.smtp.password_env",
    ),
    (
        '[email]\ncheck_deliverability = "yes"\n',
        "Параметр email.check_deliverability конфигурации должен быть true или false",
    ),
    ('mail = "smtp"\n', "Раздел [mail] конфигурации должен быть таблицей"),
    ("[agent]\ninn = 7712345671\n", "Параметр agent.inn конфигурации должен быть строкой"),
    (
        '[invite]\ntll = "1d"\n',
        "Неизвестный параметр invite.tll в конфигурации; допустимые ключи описаны в "
        "config.example.toml",
    ),
    (
        "ttl = 5\n",
        "Неизвестный параметр ttl в конфигурации; допустимые ключи описаны в config.example.toml",
    ),
    (
        '[mail.smtp]\nsecurty = "ssl"\n',
        "Неизвестный параметр mail.smtp.securty в конфигурации; допустимые ключи описаны в "
        "config.example.toml",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_config_values_are_named_in_russian(cli, tmp_path, db_url, text, message):  # type: ignore[no-untyped-def]
    config = write(tmp_path / "bad.toml", text)
    result = cli("--config", str(config), "client", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Ошибка: {message}\n")
    assert "hunter2" not in result.stderr


def test_broken_toml(cli, tmp_path):  # type: ignore[no-untyped-def]
    config = write(tmp_path / "broken.toml", "[mail\nbackend = file\n")
    result = cli("--config", str(config), "client", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Ошибка: Файл конфигурации {config} не читается: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("how", ["flag", "env"])
def test_missing_config_file(cli, tmp_path, monkeypatch, how):  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.toml"
    if how == "flag":
        result = cli("--config", str(missing), "client", "list")
        expected = f"Ошибка: Файл конфигурации {missing} не найден\n"
    else:
        monkeypatch.setenv("BANKON_CONFIG", str(missing))
        result = cli("client", "list")
        expected = f"Ошибка: Файл конфигурации {missing} (BANKON_CONFIG) не найден\n"
    assert (result.exit_code, result.stderr) == (2, expected)


def test_unreadable_config_file(cli, tmp_path):  # type: ignore[no-untyped-def]
    if os.geteuid() == 0:
        # root reads anything: use a path that cannot be read as a file instead.
        config = tmp_path / "dir.toml"
        config.mkdir()
        result = cli("--config", str(config), "client", "list")
        assert (result.exit_code, result.stderr) == (
            2,
            f"Ошибка: Файл конфигурации {config} не найден\n",
        )
        return
    config = write(tmp_path / "secret.toml", "[agent]\n")
    config.chmod(0)
    result = cli("--config", str(config), "client", "list")
    assert result.exit_code == 2
    assert result.stderr == f"Ошибка: Файл конфигурации {config} не читается: Permission denied\n"


def test_smtp_password_comes_from_the_named_variable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bankon_cli.mail.backends import SmtpBackend, backend_from_settings

    settings: Settings = settings_from_mapping(
        {"mail": {"backend": "smtp", "smtp": {"password_env": "MY_SMTP_SECRET", "username": "u"}}}
    )
    monkeypatch.setenv("MY_SMTP_SECRET", "hunter2")
    backend = backend_from_settings(settings, stdout=None)  # type: ignore[arg-type]
    assert isinstance(backend, SmtpBackend)
    assert backend.password == "hunter2"
    assert "hunter2" not in repr(settings)


def test_without_bankon_home_the_user_data_folder_is_used(cli, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BANKON_HOME")
    monkeypatch.delenv("BANKON_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert cli("agent", "add", "--inn", AGENT_INN, "--name", "А").exit_code == 0
    assert (tmp_path / "xdg-data" / "bankon" / "bankon.db").is_file()
