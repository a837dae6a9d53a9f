"""Commands built only when they are run, so start-up does not grow with every command.

Typer turns the whole command tree into click commands before it parses anything: every
command's signature is inspected and its string annotations evaluated, about a millisecond
per command, for `bankon --help` and `bankon client list` alike. `dispatcher(app)` returns
a copy of the root app whose commands and groups (`app.add_typer(...)`), and the groups'
commands, are built with typer's own functions only when the command line reaches them;
the root's help lists them from their help text alone, a group's help builds all of its
commands. If
typer's internals change shape, the app is used unchanged.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import typer


def dispatcher(app: typer.Typer) -> typer.Typer:
    """A copy of `app` that builds its command groups on demand (`app` is not modified)."""
    from typer import core, main

    build_group: Any = getattr(main, "get_group_from_info", None)
    build_command: Any = getattr(main, "get_command_from_info", None)
    solve: Any = getattr(main, "solve_typer_info_defaults", None)
    command_name: Any = getattr(main, "get_command_name", None)
    base: Any = getattr(core, "TyperGroup", None)
    groups = list(getattr(app, "registered_groups", []))
    internals = (build_group, build_command, solve, command_name, base)
    if any(part is None for part in internals) or not groups:
        return app
    if _custom(app.info.cls) or any(not getattr(info, "name", None) for info in groups):
        return app  # an own root class, or a nameless add_typer merging into the root
    group_options = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
        "suggest_commands": getattr(app, "suggest_commands", True),
    }
    command_options = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
    }

    def lazy_group(info: Any) -> Any:
        """Typer's group for `info`, with its commands built one by one when reached."""
        sub = info.typer_instance
        if _custom(solve(info).cls) or not sub.registered_commands:
            return build_group(info, **group_options)
        names = [_name(c, command_name) for c in sub.registered_commands]
        builders = {
            name: (_bind(build_command, command, command_options), None)
            for name, command in zip(names, sub.registered_commands, strict=True)
        }
        lazy_sub = copy.copy(sub)
        lazy_sub.info = copy.copy(sub.info)
        lazy_sub.registered_commands = []
        lazy_sub.info.cls = _lazy_class(base, builders, names)
        lazy_info = copy.copy(info)
        lazy_info.typer_instance = lazy_sub
        return build_group(lazy_info, **group_options)

    def stub(info: Any) -> Callable[[], Any]:
        def make() -> Any:
            # The root's help shows a group's name and short help; nothing else is needed.
            solved = solve(info)
            return base(
                name=str(info.name),
                help=solved.help,
                short_help=solved.short_help,
                hidden=solved.hidden,
                deprecated=solved.deprecated,
            )

        return make

    def command_stub(command: Any) -> Callable[[], Any]:
        def make() -> Any:
            # As typer words a command's help: its own help text, else its docstring.
            text = command.help
            text = inspect.getdoc(command.callback) if text is None else inspect.cleandoc(text)
            return base(
                name=_name(command, command_name),
                help=text,
                short_help=command.short_help,
                hidden=command.hidden,
                deprecated=command.deprecated,
            )

        return make

    builders = {
        _name(command, command_name): (
            _bind(build_command, command, command_options),
            command_stub(command),
        )
        for command in app.registered_commands
    }
    builders.update({str(info.name): (_bind(lazy_group, info, {}), stub(info)) for info in groups})
    root = copy.copy(app)
    root.info = copy.copy(app.info)
    root.registered_commands = []
    root.registered_groups = []
    # typer's order: the root's own commands, then the groups (both in registration order).
    root.info.cls = _lazy_class(base, builders, list(builders))
    return root


Builder = Callable[[], Any]


def _bind(function: Any, argument: Any, options: dict[str, Any]) -> Builder:
    return lambda: function(argument, **options)


def _lazy_class(
    base: Any, builders: Mapping[str, tuple[Builder, Builder | None]], order: list[str]
) -> Any:
    """A TyperGroup subclass holding `builders` (name -> (build, help stub or None))."""

    class LazyGroup(base):  # type: ignore[misc, valid-type]
        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.pending = dict(builders)
            self.listing = False

        def list_commands(self, ctx: Any) -> list[str]:
            built = super().list_commands(ctx)
            known = [name for name in order if name in self.pending or name in built]
            return [*known, *(name for name in built if name not in order)]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            command = super().get_command(ctx, cmd_name)
            if command is not None or cmd_name not in self.pending:
                return command
            build, help_stub = self.pending[cmd_name]
            if self.listing and help_stub is not None:
                return help_stub()
            command = build()
            del self.pending[cmd_name]
            self.commands[cmd_name] = command
            return command

        def resolve_command(self, ctx: Any, args: list[str]) -> Any:
            try:
                return super().resolve_command(ctx, args)
            except Exception:
                if not self.pending:
                    raise
            # An unknown name: build everything so typer can suggest the closest one.
            for name in list(self.pending):
                self.get_command(ctx, name)
            return super().resolve_command(ctx, args)

        def format_commands(self, ctx: Any, formatter: Any) -> None:
            self.listing = True
            try:
                super().format_commands(ctx, formatter)
            finally:
                self.listing = False

    return LazyGroup


def _name(command: Any, command_name: Any) -> str:
    return str(command.name or command_name(command.callback.__name__))


def _custom(cls: Any) -> bool:
    from typer.models import DefaultPlaceholder

    return cls is not None and not isinstance(cls, DefaultPlaceholder)
