"""Running `client add`: ask for what is missing on a terminal, add, deliver the invitation."""

from __future__ import annotations

from collections.abc import Callable

from bankon_cli.context import AppContext
from bankon_cli.errors import InvalidInput

REQUIRED = (
    ("inn", "--inn", "ИНН"),
    ("contact", "--contact", "ФИО контактного лица"),
    ("name", "--name", "Наименование компании"),
    ("email", "--email", "Email"),
)


def _validator(key: str) -> Callable[[str], bool | str]:
    from bankon_cli.services import validation

    def check(text: str) -> bool | str:
        if key == "inn":
            _, problem = validation.check_inn(text)
        elif key == "email":
            _, problem = validation.check_email(text)
        elif key == "phone":
            _, problem = validation.check_phone(text)
        else:
            label = "ФИО контактного лица" if key == "contact" else "Наименование компании"
            _, problem = validation.check_text(label, text)
        return True if problem is None else problem.problem

    return check


def ask_missing(values: dict[str, str | None]) -> dict[str, str | None]:
    """Ask with questionary for each missing required field; Ctrl-C raises KeyboardInterrupt."""
    import questionary

    answered = dict(values)
    for key, _flag, label in REQUIRED:
        if not (answered.get(key) or "").strip():
            answered[key] = questionary.text(f"{label}:", validate=_validator(key)).unsafe_ask()
    return answered


def run_client_add(
    app_ctx: AppContext,
    *,
    values: dict[str, str | None],
    agent_inn: str | None,
    invite: bool,
    check_deliverability: bool,
    as_json: bool,
) -> None:
    from bankon_cli.cli.output import info, print_json, warn
    from bankon_cli.errors import DeliveryFailed
    from bankon_cli.services.agents import resolve_current_agent
    from bankon_cli.services.clients import add_client
    from bankon_cli.services.validation import check_client_fields, require_valid

    missing = [flag for key, flag, _label in REQUIRED if not (values.get(key) or "").strip()]
    if missing:
        if not app_ctx.interactive:
            what = (
                f"не указан обязательный параметр {missing[0]}"
                if len(missing) == 1
                else f"не указаны обязательные параметры {', '.join(missing)}"
            )
            raise InvalidInput("", f"{what} (без терминала bankon ничего не спрашивает)")
        values = ask_missing(values)
    fields = require_valid(
        *check_client_fields(
            inn=values["inn"],
            contact_name=values["contact"],
            short_name=values["name"],
            email=values["email"],
            phone=values.get("phone"),
            check_deliverability=check_deliverability or app_ctx.settings.check_deliverability,
        )
    )
    with app_ctx.session_factory.begin() as session:
        agent = resolve_current_agent(
            session, flag_inn=agent_inn, configured_inn=app_ctx.settings.agent_inn
        )
        added = add_client(
            session,
            fields=fields,
            agent=agent,
            settings=app_ctx.settings,
            now=app_ctx.clock(),
            invite=invite,
        )
    for warning in added.warnings:
        warn(app_ctx, warning)
    failure = None
    if added.outbox_ids:
        from bankon_cli.services.outbox import deliver

        try:
            report = deliver(
                app_ctx.session_factory,
                app_ctx.mail_backend(),
                app_ctx.settings,
                app_ctx.clock,
                message_ids=added.outbox_ids,
            )
        except OSError as error:
            # The client is committed already: say so instead of an "unexpected error".
            failure = f"{error.strerror or error}: {getattr(error, 'filename', '') or ''}".rstrip(
                ": "
            )
        else:
            if report.failed:
                failure = report.failed[0].error
    row = added.row
    if as_json:
        print_json(app_ctx, row.as_json())
    else:
        info(
            app_ctx,
            f"Клиент добавлен: {row.short_name}, ИНН {row.inn}, статус «{row.status_label}»",
        )
        if added.outbox_ids and failure is None:
            info(app_ctx, f"Приглашение отправлено на {row.email}")
        elif not invite:
            info(app_ctx, "Приглашение не отправлялось (--no-invite)")
    if failure is not None:
        raise DeliveryFailed(
            f"клиент сохранён, но приглашение не отправлено: {failure}. "
            "Письмо осталось в очереди; повторить: bankon mail send"
        )
