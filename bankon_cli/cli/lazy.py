"""Command groups built only when they are run, so start-up does not grow with every command.

Typer turns the whole command tree into click commands before it parses anything: every
command's signature is inspected and its string annotations evaluated, about a millisecond
per command, for `bankon --help` and `bankon client list` alike. `dispatcher(app)` returns
a copy of the root app whose groups (`app.add_typer(...)`) are kept aside and built with
typer's own function when the command line names them; for the root's help they are listed
from their help text alone. If typer's internals change shape, the app is used unchanged.
"""

from __future__ import annotations

from typing import Any

import typer


def dispatcher(app: typer.Typer) -> typer.Typer:
    """A copy of `app` that builds its command groups on demand (`app` is not modified)."""
    import copy

    from typer import core, main

    build: Any = getattr(main, "get_group_from_info", None)
    solve: Any = getattr(main, "solve_typer_info_defaults", None)
    base: Any = getattr(core, "TyperGroup", None)
    groups = list(getattr(app, "registered_groups", []))
    if build is None or solve is None or base is None or not groups:
        return app
    if getattr(app.info, "cls", None) not in (None, base) and not _is_default(app.info.cls):
        return app  # the root already has its own group class
    if any(not getattr(info, "name", None) for info in groups):
        return app  # a nameless add_typer merges its commands into the root: keep eager
    options = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
        "suggest_commands": getattr(app, "suggest_commands", True),
    }

    class LazyGroup(base):  # type: ignore[misc, valid-type]
        """The root group: sub-groups are built by typer the first time they are needed."""

        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.lazy = {str(info.name): info for info in groups}
            self.listing = False

        def list_commands(self, ctx: Any) -> list[str]:
            return [*super().list_commands(ctx), *self.lazy]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            command = super().get_command(ctx, cmd_name)
            if command is not None or cmd_name not in self.lazy:
                return command
            info = self.lazy[cmd_name]
            if self.listing:
                # The root's help shows a group's name and short help; nothing else is needed.
                solved = solve(info)
                return base(
                    name=cmd_name,
                    help=solved.help,
                    short_help=solved.short_help,
                    hidden=solved.hidden,
                    deprecated=solved.deprecated,
                )
            group = build(info, **options)
            del self.lazy[cmd_name]
            self.commands[cmd_name] = group
            return group

        def format_commands(self, ctx: Any, formatter: Any) -> None:
            self.listing = True
            try:
                super().format_commands(ctx, formatter)
            finally:
                self.listing = False

    root = copy.copy(app)
    root.info = copy.copy(app.info)
    root.info.cls = LazyGroup
    root.registered_groups = []
    return root


def _is_default(value: Any) -> bool:
    from typer.models import DefaultPlaceholder

    return isinstance(value, DefaultPlaceholder)
