"""Root of the `bankon` command: wiring, global options and the one error exit."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bankon_cli import __version__
from bankon_cli.cli.accredit import accredit_app
from bankon_cli.cli.agent import agent_app
from bankon_cli.cli.cert import cert_app
from bankon_cli.cli.client import client_app
from bankon_cli.cli.db import db_app
from bankon_cli.cli.invite import invite_app
from bankon_cli.cli.mail import mail_app
from bankon_cli.cli.register import REGISTER_HELP, register
from bankon_cli.errors import BankonError, ExitStatus

app = typer.Typer(
    name="bankon",
    help="Бэк-офис сервиса Банкон24: агенты, клиенты, приглашения и аккредитация.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(agent_app, name="agent")
app.add_typer(client_app, name="client")
app.add_typer(db_app, name="db")
app.command("register", help=REGISTER_HELP)(register)
app.add_typer(accredit_app, name="accredit")
app.add_typer(cert_app, name="cert")
app.add_typer(invite_app, name="invite")
app.add_typer(mail_app, name="mail")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"bankon {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Файл конфигурации (иначе BANKON_CONFIG или папка пользователя).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Показывать трассировку непредвиденных ошибок.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Показать версию и выйти."
        ),
    ] = False,
) -> None:
    """Back office of the Банкон24 onboarding service."""
    from bankon_cli.config import load_settings
    from bankon_cli.context import AppContext, clock_from_environment

    _DEBUG[0] = debug
    app_context = AppContext(
        settings=load_settings(config), clock=clock_from_environment(), debug=debug
    )
    ctx.obj = app_context
    ctx.call_on_close(app_context.close)


_DEBUG = [False]


def _param_name(param: Any) -> str:
    if param is None:
        return "параметр"
    if getattr(param, "param_type_name", "") == "argument":
        return f"аргумент {(param.metavar or str(param.name)).upper()}"
    return str(param.opts[0] if getattr(param, "opts", None) else param.name)


def _usage_message(error: Any) -> str:
    """Click's usage errors, said in Russian."""
    from typer._click import exceptions as click_exceptions

    if isinstance(error, click_exceptions.NoSuchOption):
        hint = f" (возможно, {', '.join(error.possibilities)})" if error.possibilities else ""
        return f"неизвестный параметр {error.option_name}{hint}"
    if isinstance(error, click_exceptions.MissingParameter):
        name = _param_name(error.param)
        kind = "" if name.startswith("аргумент") else "параметр "
        return f"не указан обязательный {kind}{name}"
    if isinstance(error, click_exceptions.BadParameter):
        return f"{_param_name(error.param)}: {_bad_value(error)}"
    if isinstance(error, click_exceptions.BadOptionUsage) and "requires an argument" in str(
        error.message
    ):
        return f"у параметра {error.option_name} не указано значение"
    if isinstance(error, click_exceptions.NoArgsIsHelpError):
        return "не указана команда; справка: bankon --help"
    message = error.format_message()
    if message.startswith("No such command"):
        import re

        match = re.match(r"No such command '(.*?)'\.(?: Did you mean (.*)\?)?", message)
        name, suggested = match.groups() if match else (message.split(" ", 3)[-1], None)
        hint = ", ".join(re.findall(r"'(.*?)'", suggested or ""))
        maybe = f" (возможно, {hint})" if hint else ""
        return f"неизвестная команда {name}{maybe}; справка: bankon --help"
    if message.startswith("Got unexpected extra argument"):
        return f"лишние аргументы: {message.rsplit('(', 1)[-1].rstrip(')')}"
    return str(message)


_RANGE_WORDS = {
    "greater_than_equal": ("ge", "не меньше"),
    "greater_than": ("gt", "больше"),
    "less_than_equal": ("le", "не больше"),
    "less_than": ("lt", "меньше"),
}


def _bad_value(error: Any) -> str:
    """Typer's (pydantic's) English complaint about an option value, said in Russian."""
    import re

    details = getattr(error.__cause__, "errors", None)
    detail = details(include_url=False)[0] if callable(details) else {}
    kind = str(detail.get("type", ""))
    given = detail.get("input", "")
    if kind in _RANGE_WORDS:
        key, words = _RANGE_WORDS[kind]
        return f"должно быть {words} {detail.get('ctx', {}).get(key)}, а указано «{given}»"
    if kind.startswith("int_"):
        return f"ожидается целое число, а указано «{given}»"
    choices = re.search(r"'(.*)' is not one of (.+?)\.?$", str(error.message))
    if choices:
        allowed = ", ".join(part.strip(" '") for part in choices.group(2).split(","))
        return f"«{choices.group(1)}» — допустимо: {allowed}"
    return f"недопустимое значение «{given}»" if given else "недопустимое значение"


def _fail(message: str, status: int) -> int:
    sys.stderr.write(f"Ошибка: {message}\n")
    sys.stderr.flush()
    return status


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and map every exception to one Russian line and an exit status."""
    from typer._click import exceptions as click_exceptions

    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        # Answered before typer builds the whole command tree, which it does for any call.
        sys.stdout.write(f"bankon {__version__}\n")
        return int(ExitStatus.OK)
    from bankon_cli.cli.coercion import install as install_fast_coercion
    from bankon_cli.cli.lazy import dispatcher

    install_fast_coercion()
    try:
        result = dispatcher(app)(args=argv, prog_name="bankon", standalone_mode=False)
    except BankonError as error:
        return _fail(error.message, int(error.exit_status))
    except click_exceptions.UsageError as error:
        try:
            message = _usage_message(error)
        except Exception:  # the usage message must never turn into a traceback
            message = str(error.format_message())
        return _fail(message, int(ExitStatus.INVALID_INPUT))
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\nПрервано.\n")
        return int(ExitStatus.INTERRUPTED)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except click_exceptions.ClickException as error:
        return _fail(error.format_message(), int(ExitStatus.INVALID_INPUT))
    except BrokenPipeError:
        return _reader_left()
    except SystemExit as exit_:
        # Typer (and rich) turn a closed pipe into exit 1; `bankon client list | head`
        # is no failure of ours.
        if isinstance(exit_.__context__, BrokenPipeError):
            return _reader_left()
        raise
    except UnicodeEncodeError:
        # Arguments that were not valid UTF-8 reach Python as lone surrogates.
        return _fail(
            "в аргументах есть байты не в кодировке UTF-8; проверьте кодировку терминала",
            int(ExitStatus.INVALID_INPUT),
        )
    except OSError as error:
        return _fail(_file_problem(error), int(ExitStatus.FAILURE))
    except Exception as error:
        database_error = _database_error(error)
        if database_error is not None:
            return _fail(database_error, int(ExitStatus.FAILURE))
        if _DEBUG[0]:
            import traceback

            # The traceback without local variables: they may hold passwords or tokens.
            traceback.print_exception(type(error), error, error.__traceback__)
        return _fail(
            f"непредвиденная ошибка {type(error).__name__}; подробности: bankon --debug …",
            int(ExitStatus.FAILURE),
        )
    if result == ExitStatus.INTERRUPTED:
        # Typer turns Ctrl-C inside a command into a bare exit status 130.
        sys.stderr.write("\nПрервано.\n")
    if isinstance(result, int):
        return result
    return int(ExitStatus.OK)


_FILE_PROBLEMS = {
    errno.ENOENT: "нет такого файла или папки",
    errno.EACCES: "нет прав доступа",
    errno.EPERM: "нет прав доступа",
    errno.EISDIR: "это папка, а нужен файл",
    errno.ENOTDIR: "часть пути — не папка",
    errno.EEXIST: "уже существует, и это не папка",
    errno.EROFS: "файловая система только для чтения",
    errno.ENOSPC: "нет места на диске",
}


def _file_problem(error: OSError) -> str:
    """A file-system failure (unwritable data folder, --out on a folder …) said in Russian."""
    problem = _FILE_PROBLEMS.get(error.errno or 0, error.strerror or type(error).__name__)
    where = f"{error.filename}: " if error.filename else ""
    return f"файловая система: {where}{problem}"


def _reader_left() -> int:
    """The reader of our stdout went away: stop writing there and end quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return int(ExitStatus.OK)


def _database_error(error: Exception) -> str | None:
    module = type(error).__module__
    if not module.startswith("sqlalchemy"):
        return None
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, OperationalError | DBAPIError):
        detail = str(error.orig).strip().splitlines() if error.orig else []
        first = detail[0] if detail else type(error).__name__
        return f"ошибка базы данных: {first}"
    return None


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
