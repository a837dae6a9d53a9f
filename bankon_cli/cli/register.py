"""`bankon register`: complete a client's registration from its invitation link."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bankon_cli.cli.options import ObjectFormat, ObjectFormatOption
from bankon_cli.context import AppContext
from bankon_cli.errors import InvalidInput

if TYPE_CHECKING:
    from bankon_cli.services.registration import (
        InvitePreview,
        RegisteredClient,
        RegistrationForm,
        RegistrationRefused,
    )
    from bankon_cli.signing import CertificateInfo

WITH_CERTIFICATE = "С сертификатом ЭЦП (данные заполнятся из сертификата)"
WITHOUT_CERTIFICATE = "Без сертификата ЭЦП"
NO_PROMPT = "без терминала bankon ничего не спрашивает"
REGISTER_HELP = (
    "Завершить регистрацию клиента по ссылке из приглашения (с сертификатом ЭЦП или без)."
)


def register(
    ctx: typer.Context,
    token_or_link: Annotated[
        str,
        typer.Argument(
            metavar="TOKEN_OR_LINK",
            help="Ссылка из письма-приглашения или токен из неё.",
            show_default=False,
        ),
    ],
    certificate: Annotated[
        Path | None,
        typer.Option(
            "--certificate",
            help="Регистрация с сертификатом ЭЦП: файл PKCS#12 (.p12/.pfx).",
            show_default=False,
        ),
    ] = None,
    no_certificate: Annotated[
        bool, typer.Option("--no-certificate", help="Регистрация без сертификата ЭЦП.")
    ] = False,
    certificate_password_env: Annotated[
        str | None,
        typer.Option(
            "--certificate-password-env",
            metavar="VAR",
            help="Переменная окружения с паролем к файлу сертификата.",
            show_default=False,
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option("--contact", help="ФИО контактного лица полностью.", show_default=False),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Email контактного лица.", show_default=False)
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Телефон контактного лица.", show_default=False)
    ] = None,
    login: Annotated[
        str | None, typer.Option("--login", help="Логин для входа на портал.", show_default=False)
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Переменная окружения с паролем учётной записи (иначе спросить дважды скрыто).",
            show_default=False,
        ),
    ] = None,
    output_format: ObjectFormatOption = ObjectFormat.TABLE,
) -> None:
    """Complete a client's registration from its invitation (with or without a certificate)."""
    if certificate is not None and no_certificate:
        raise InvalidInput("--no-certificate", "нельзя вместе с --certificate")
    result = run_register(
        ctx.obj,
        token_or_link,
        certificate=certificate,
        no_certificate=no_certificate,
        certificate_password_env=certificate_password_env,
        answers={"contact": contact, "email": email, "phone": phone, "login": login},
        password_env=password_env,
    )
    _print_result(ctx.obj, result, as_json=output_format is ObjectFormat.JSON)


def _refused(app_ctx: AppContext, token: str, refusal: RegistrationRefused) -> RegistrationRefused:
    """Log the failed attempt in a transaction of its own, then let the refusal through."""
    from bankon_cli.services.registration import record_failed_attempt

    with app_ctx.session_factory.begin() as session:
        record_failed_attempt(session, token=token, refusal=refusal, now=app_ctx.clock())
    return refusal


def run_register(
    app_ctx: AppContext,
    token: str,
    *,
    certificate: Path | None,
    no_certificate: bool,
    certificate_password_env: str | None,
    answers: dict[str, str | None],
    password_env: str | None,
) -> RegisteredClient:
    from bankon_cli.cli.output import info
    from bankon_cli.services.registration import (
        RegistrationRefused,
        certificate_refusal,
        certificate_refused,
        preview_registration,
        register_client,
    )

    try:
        with app_ctx.session_factory.begin() as session:
            preview = preview_registration(session, token, app_ctx.clock())
    except RegistrationRefused as refusal:
        raise _refused(app_ctx, token, refusal) from None
    _show_preview(app_ctx, preview)
    info_from_certificate = _certificate_info(
        app_ctx, certificate, no_certificate, certificate_password_env
    )
    if info_from_certificate is not None:
        problem = certificate_refusal(info_from_certificate, preview.inn, app_ctx.clock())
        if problem is not None:
            raise _refused(app_ctx, token, certificate_refused(problem))
        info(
            app_ctx,
            f"Сертификат: {info_from_certificate.holder_name}, ИНН организации "
            f"{info_from_certificate.organisation_inn}",
        )
    form = _complete_form(app_ctx, preview, info_from_certificate, answers, password_env)
    try:
        with app_ctx.session_factory.begin() as session:
            return register_client(
                session,
                token=token,
                form=form,
                certificate=info_from_certificate,
                now=app_ctx.clock(),
            )
    except RegistrationRefused as refusal:
        raise _refused(app_ctx, token, refusal) from None


def _show_preview(app_ctx: AppContext, preview: InvitePreview) -> None:
    from bankon_cli.cli.output import info

    info(
        app_ctx,
        f"Приглашение агента {preview.agent_name}: {preview.short_name}, ИНН {preview.inn} "
        f"({preview.region}); контакт {preview.contact_name}, {preview.email}",
    )


def _certificate_info(
    app_ctx: AppContext, path: Path | None, no_certificate: bool, password_env: str | None
) -> CertificateInfo | None:
    """With or without a certificate: the flags decide, else the client on a terminal."""
    from bankon_cli.cli.cert import open_certificate

    if path is None and not no_certificate and app_ctx.interactive:
        import questionary

        choice = questionary.select(
            "Способ регистрации:", choices=[WITH_CERTIFICATE, WITHOUT_CERTIFICATE]
        ).unsafe_ask()
        if choice == WITH_CERTIFICATE:
            path = Path(questionary.path("Файл сертификата (.p12/.pfx):").unsafe_ask())
    if path is None:
        return None
    from bankon_cli.signing import describe_certificate

    identity = open_certificate(app_ctx, path, password_env, "--certificate-password-env")
    # Registration only reads the certificate's fields: the key is dropped right here.
    return describe_certificate(identity.certificate)


def _complete_form(
    app_ctx: AppContext,
    preview: InvitePreview,
    certificate: CertificateInfo | None,
    answers: dict[str, str | None],
    password_env: str | None,
) -> RegistrationForm:
    from bankon_cli.services import validation
    from bankon_cli.services.passwords import check_login
    from bankon_cli.services.registration import RegistrationForm

    contact_default = (certificate.holder_name if certificate else None) or preview.contact_name
    defaults = {"contact": contact_default, "email": preview.email, "phone": preview.phone or ""}
    checks: dict[str, Callable[[str], object]] = {
        "contact": lambda text: validation.check_text(validation.FIELD_CONTACT, text)[1],
        "email": lambda text: validation.check_email(text)[1],
        "phone": lambda text: validation.check_phone(text)[1],
    }
    labels = {"contact": "ФИО контактного лица", "email": "Email", "phone": "Телефон"}
    values = dict(answers)
    if app_ctx.interactive:
        import questionary

        for key in ("contact", "email", "phone"):
            if values.get(key) is None:
                values[key] = questionary.text(
                    f"{labels[key]}:", default=defaults[key] or "", validate=_validator(checks[key])
                ).unsafe_ask()
        if not values.get("login"):
            values["login"] = questionary.text(
                "Логин:", validate=_validator(lambda text: _login_problem(check_login, text))
            ).unsafe_ask()
    elif not values.get("login"):
        raise InvalidInput("--login", f"не указан ({NO_PROMPT})")
    login = str(values["login"])
    password = _password(app_ctx, password_env, login, preview, values.get("email"))
    return RegistrationForm(
        login=login,
        password=password,
        contact_name=values.get("contact"),
        email=values.get("email"),
        phone=values.get("phone"),
    )


def _login_problem(check: Callable[[str], str], text: str) -> str | None:
    try:
        check(text)
    except InvalidInput as error:
        return error.problem
    return None


def _validator(check: Callable[[str], object]) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        problem = check(text)
        return True if problem is None else str(getattr(problem, "problem", problem))

    return validate


def _password(
    app_ctx: AppContext,
    password_env: str | None,
    login: str,
    preview: InvitePreview,
    email: str | None,
) -> str:
    """From the named variable, else typed twice, hidden, on a terminal."""
    from bankon_cli.services.passwords import password_problem

    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            raise InvalidInput("--password-env", f"переменная окружения {password_env} не задана")
        return value
    if not app_ctx.interactive:
        raise InvalidInput("--password-env", f"не указан пароль учётной записи ({NO_PROMPT})")
    import questionary

    def policy(text: str) -> bool | str:
        problem = password_problem(text, login=login, inn=preview.inn, email=email or preview.email)
        return True if problem is None else problem

    for _attempt in range(3):
        first = questionary.password("Пароль:", validate=policy).unsafe_ask()
        second = questionary.password("Пароль ещё раз:").unsafe_ask()
        if first == second:
            return str(first)
        app_ctx.stderr.write("Пароли не совпадают, введите ещё раз\n")
    raise InvalidInput("Пароль", "введённые пароли не совпадают")


def _print_result(app_ctx: AppContext, result: RegisteredClient, *, as_json: bool) -> None:
    from bankon_cli.cli.output import info, print_json

    if as_json:
        print_json(app_ctx, result.as_json())
        return
    way = "с сертификатом ЭЦП" if result.with_certificate else "без сертификата ЭЦП"
    info(
        app_ctx,
        f"Клиент зарегистрирован {way}: {result.short_name}, ИНН {result.inn}, логин "
        f"{result.login}; статус «На рассмотрении». Следующий шаг — аккредитация: "
        f"bankon accredit {result.inn} --certificate ФАЙЛ.p12",
    )
