"""`bankon cert inspect`, and opening a PKCS#12 file for any command that needs one."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bankon_cli.cli.options import ObjectFormat, ObjectFormatOption
from bankon_cli.context import AppContext
from bankon_cli.errors import InvalidInput

if TYPE_CHECKING:
    from bankon_cli.signing import CertificateInfo, SigningIdentity

MAX_P12_SIZE = 1024 * 1024
FIELD_FILE = "Файл сертификата"

cert_app = typer.Typer(help="Сертификаты ЭЦП (PKCS#12: .p12/.pfx).", no_args_is_help=True)

CertificatePasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Переменная окружения с паролем к файлу сертификата (иначе спросить скрыто).",
        show_default=False,
    ),
]


def certificate_passphrase(app_ctx: AppContext, env_name: str | None, option: str) -> str | None:
    """From the named variable, else asked hidden on a terminal, else none (empty)."""
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise InvalidInput(option, f"переменная окружения {env_name} не задана")
        return value
    if not app_ctx.interactive:
        return None
    import questionary

    answer = questionary.password("Пароль к файлу сертификата (пусто — без пароля):").unsafe_ask()
    return str(answer or "")


def open_certificate(
    app_ctx: AppContext, path: Path, env_name: str | None, option: str = "--password-env"
) -> SigningIdentity:
    """Read and open a PKCS#12 file; every way it can fail has its own message."""
    from bankon_cli.signing import CertificateFileError, load_signing_identity

    if not path.is_file():
        raise InvalidInput(FIELD_FILE, f"{path} не найден")
    if path.stat().st_size > MAX_P12_SIZE:
        raise InvalidInput(FIELD_FILE, f"{path.name} — слишком большой для файла PKCS#12")
    data = path.read_bytes()
    # On a terminal a mistyped passphrase is asked again, as a login form would.
    attempts = 3 if env_name is None and app_ctx.interactive else 1
    for attempt in range(1, attempts + 1):
        passphrase = certificate_passphrase(app_ctx, env_name, option)
        try:
            return load_signing_identity(data, passphrase, name=path.name)
        except CertificateFileError as error:
            if error.reason != "wrong_passphrase":
                raise
            if attempts == 1 and env_name is None:
                raise InvalidInput(
                    FIELD_FILE,
                    f"{path.name} защищён паролем: передайте его через {option} ПЕРЕМЕННАЯ",
                ) from None
            if attempt == attempts:
                raise
            app_ctx.stderr.write("Неверный пароль, попробуйте ещё раз\n")
    raise AssertionError("unreachable")


def _date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M UTC")


def certificate_rows(info: CertificateInfo, now: datetime) -> list[tuple[str, str]]:
    from bankon_cli.signing.certificate import KEY_USAGE_LABELS

    key = f"{info.key_type} {info.key_size} бит" + (
        f" ({info.key_curve})" if info.key_curve else ""
    )
    usage = (
        "не ограничено (нет расширения)"
        if info.key_usage is None
        else ", ".join(KEY_USAGE_LABELS.get(item, item) for item in info.key_usage) or "—"
    )
    days = info.days_left(now)
    left = f"осталось {days} дн." if days >= 0 else "истёк"
    return [
        ("Владелец", info.holder_name or "—"),
        ("Организация", info.organisation or "—"),
        ("ИНН организации", info.organisation_inn or "—"),
        ("ИНН владельца", info.holder_inn or "—"),
        ("ОГРН" if not info.ogrnip else "ОГРНИП", info.ogrn_any or "—"),
        ("СНИЛС", info.snils or "—"),
        ("Должность", info.title or "—"),
        ("Email", info.email or "—"),
        ("Издатель", info.issuer),
        ("Серийный номер", info.serial_number),
        ("Действует с", _date(info.not_before)),
        ("Действует по", f"{_date(info.not_after)} ({left})"),
        ("Ключ", key),
        ("Использование ключа", usage),
        ("Отпечаток SHA-1", info.sha1_thumbprint),
        ("Отпечаток SHA-256", info.sha256_fingerprint),
    ]


@cert_app.command(
    "inspect",
    help="Показать сертификат: владелец, ИНН, срок действия, ключ, отпечатки, предупреждения.",
)
def cert_inspect(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Файл сертификата PKCS#12 (.p12/.pfx).", show_default=False)
    ],
    password_env: CertificatePasswordEnvOption = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Show what an operator needs to trust a certificate: holder, INN, validity, warnings."""
    from bankon_cli.cli.output import plain_table, print_json, print_table
    from bankon_cli.signing import describe_certificate

    app_ctx: AppContext = ctx.obj
    identity = open_certificate(app_ctx, file, password_env)
    info = describe_certificate(identity.certificate)
    now = app_ctx.clock()
    warnings = [(item.code, item.message) for item in info.warnings(now)]
    if identity.legacy_protection:
        warnings.append(
            (
                "legacy_protection",
                f"Файл защищён устаревшим алгоритмом {identity.legacy_protection}",
            )
        )
    if output_format is ObjectFormat.JSON:
        data = info.as_json(now)
        data["warnings"] = [{"code": code, "message": text} for code, text in warnings]
        data["chain_length"] = len(identity.chain)
        print_json(app_ctx, data)
        return
    from rich.text import Text

    table = plain_table()
    table.add_column("Поле")
    table.add_column("Значение", overflow="fold")
    rows = certificate_rows(info, now)
    rows.append(("Других сертификатов в файле", str(len(identity.chain))))
    rows += [("Внимание", text) for _code, text in warnings]
    for label, value in rows:
        table.add_row(label, Text(value))
    print_table(app_ctx, table)
