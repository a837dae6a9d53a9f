"""`bankon accredit`: the signed accreditation request, its re-verification and export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from bankon_cli.cli.cert import CertificatePasswordEnvOption, open_certificate
from bankon_cli.cli.options import InnArgument, ObjectFormat, ObjectFormatOption
from bankon_cli.context import AppContext
from bankon_cli.errors import BankonError, InvalidInput

if TYPE_CHECKING:
    from bankon_cli.signing import CertificateInfo

DEFAULT_COMMAND = "submit"


class SubmitByDefault(TyperGroup):
    """`bankon accredit INN …` means `bankon accredit submit INN …`.

    A first word that is an INN (has digits) or an option such as `--certificate` is handed to
    `submit`; words are left to the group, so `accredit verify INN` reaches `verify` and a
    mistyped `accredit verfy INN` is an unknown command rather than a strange INN.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        first = args[0] if args else ""
        looks_like_submit = first.startswith("-") or any(ch.isdigit() for ch in first)
        if looks_like_submit and first not in self.commands and first not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return list(super().parse_args(ctx, args))


accredit_app = typer.Typer(
    cls=SubmitByDefault,
    no_args_is_help=True,
    help=(
        "Аккредитация клиента: заявка, подписанная ЭЦП. "
        "bankon accredit ИНН --certificate ФАЙЛ.p12 — то же, что accredit submit."
    ),
)


@accredit_app.command(
    DEFAULT_COMMAND,
    help="Подписать заявку на аккредитацию сертификатом ЭЦП клиента и закрепить клиента.",
)
def accredit_submit(
    ctx: typer.Context,
    inn: InnArgument,
    certificate: Annotated[
        Path,
        typer.Option(
            "--certificate",
            help="Сертификат ЭЦП клиента: файл PKCS#12 (.p12/.pfx).",
            show_default=False,
        ),
    ],
    position: Annotated[
        str | None,
        typer.Option(
            "--position",
            help="Должность владельца ЭЦП (иначе из сертификата).",
            show_default=False,
        ),
    ] = None,
    password_env: CertificatePasswordEnvOption = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Sign the accreditation request with the client's certificate and attach the client."""
    from bankon_cli.cli.output import info, print_json
    from bankon_cli.services.accreditation import (
        FIELD_CERTIFICATE,
        accredit_client,
        accreditation_client,
        signing_refusal,
    )
    from bankon_cli.signing import describe_certificate

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        client_inn = accreditation_client(session, inn).inn
    identity = open_certificate(app_ctx, certificate, password_env)
    details = describe_certificate(identity.certificate)
    refusal = signing_refusal(details, client_inn, app_ctx.clock())
    if refusal is not None:
        raise InvalidInput(FIELD_CERTIFICATE, refusal)
    chosen = _position(app_ctx, position, details)
    with app_ctx.session_factory.begin() as session:
        result = accredit_client(
            session, inn=client_inn, identity=identity, position=chosen, now=app_ctx.clock()
        )
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, result.as_json())
        return
    info(
        app_ctx,
        f"Заявка на аккредитацию подписана ЭЦП ({result.holder_name}, {result.position}), "
        f"подпись проверена. Клиент {result.short_name} (ИНН {result.inn}) — «Закреплен»",
    )


def _position(app_ctx: AppContext, given: str | None, details: CertificateInfo) -> str:
    """`--position`, else the certificate's title (editable on a terminal), else asked."""
    from bankon_cli.services.accreditation import POSITION_REQUIRED, check_position

    if given is not None:
        return check_position(given)
    if app_ctx.interactive:
        import questionary

        def validate(text: str) -> bool | str:
            try:
                check_position(text)
            except InvalidInput as error:
                return error.problem
            return True

        answer = questionary.text(
            f"Должность владельца ЭЦП ({details.holder_name}):",
            default=details.title or "",
            validate=validate,
        ).unsafe_ask()
        return check_position(answer)
    if details.title:
        return check_position(details.title)
    raise InvalidInput(
        "--position", f"{POSITION_REQUIRED}: в сертификате её нет, а терминала для вопроса нет"
    )


@accredit_app.command(
    "verify", help="Заново проверить сохранённую заявку на аккредитацию и её подпись."
)
def accredit_verify(
    ctx: typer.Context, inn: InnArgument, output_format: ObjectFormatOption = ObjectFormat.TABLE
) -> None:
    """Verify again the stored accreditation request and its signature."""
    from bankon_cli.cli.output import info, print_json
    from bankon_cli.services.accreditation import verify_accreditation

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        verified = verify_accreditation(session, inn)
    if output_format is ObjectFormat.JSON:
        print_json(app_ctx, verified.as_json())
        return
    info(
        app_ctx,
        f"Подпись действительна: {verified.short_name} (ИНН {verified.inn}), подписал "
        f"{verified.holder_name}, {verified.position}, "
        f"{verified.signed_at.strftime('%d.%m.%Y %H:%M UTC')}; "
        f"сертификат SHA-256 {verified.certificate_sha256}",
    )


@accredit_app.command(
    "export",
    help="Выгрузить заявку, подпись .p7s и сертификат для проверки третьей стороной.",
)
def accredit_export(
    ctx: typer.Context,
    inn: InnArgument,
    out: Annotated[
        Path, typer.Option("--out", help="Папка для файлов (создаётся).", show_default=False)
    ],
) -> None:
    """Write the request document, its .p7s signature and the certificate for a third party."""
    from bankon_cli.cli.output import info, print_line
    from bankon_cli.services.accreditation import export_accreditation

    app_ctx: AppContext = ctx.obj
    with app_ctx.session_factory.begin() as session:
        exported = export_accreditation(session, inn)
    stem = f"accreditation-{exported.inn}"
    files = {
        out / f"{stem}.json": exported.document,
        out / f"{stem}.json.p7s": exported.signature,
        out / f"{stem}.cer": exported.certificate,
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            _write_atomically(path, data)
    except OSError as error:
        raise BankonError(f"--out: не удалось записать в {out}: {error.strerror}") from None
    for path in files:
        print_line(app_ctx, str(path))
    document, signature = list(files)[:2]
    info(
        app_ctx,
        "Проверка: openssl cms -verify -binary -inform DER "
        f"-in {signature} -content {document} -noverify >/dev/null",
    )


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile

    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
