"""Parsing of plain option values (text, numbers, flags, choices, paths) without pydantic.

Typer (0.29+) coerces every option value through a pydantic TypeAdapter. Importing pydantic
and building one adapter per option costs about 60 ms of every command that takes an
option, a fifth of `client list`'s budget. Our options are all plain types, so the common
case is parsed here with typer's own helpers, and anything else (a bad value whose error
message typer words, an annotation not listed here) falls back to typer's own adapter, so
messages and results stay exactly typer's. If typer's internals change shape, nothing is
installed and typer's path runs unchanged.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_installed = [False]


def install() -> None:
    """Put the fast path in front of typer's pydantic coercion (once per process)."""
    if _installed[0]:
        return
    try:
        from typer import _coercion, _param_types, core
    except ImportError:
        return
    parameter_class: Any = getattr(core, "_TyperParameter", None)
    runtime_base: Any = getattr(_coercion, "RuntimeParam", None)
    build: Any = getattr(_coercion, "build_runtime_param", None)
    choose: Any = getattr(_param_types, "coerce_cli_choice", None)
    to_path: Any = getattr(_param_types, "coerce_cli_path", None)
    original: Any = getattr(parameter_class, "get_runtime_param", None)
    if None in (parameter_class, runtime_base, build, choose, to_path, original):
        return

    helpers = (choose, to_path)

    class PlainRuntimeParam(runtime_base):  # type: ignore[misc, valid-type]
        """Parse plain values directly; hand everything else to typer's adapter."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            where = (ctx, param)
            parsed = _plain_value(self.annotation, self.parameter_info, value, where, helpers)
            if parsed is not _FALL_BACK:
                return parsed
            return build(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            if descriptor.file_annotation is None and _is_plain(
                descriptor.annotation, descriptor.parameter_info
            ):
                self._runtime_param = PlainRuntimeParam(
                    parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
                )
        return original(self)

    parameter_class.get_runtime_param = get_runtime_param
    _installed[0] = True


_FALL_BACK = object()


def _is_plain(annotation: Any, info: Any) -> bool:
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return False
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (None,)
        return item is not None and _is_plain(item, info)
    if annotation is Path:
        return True
    return annotation in (str, int, float, bool) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    )


def _plain_value(
    annotation: Any, info: Any, value: Any, where: tuple[Any, Any], helpers: tuple[Any, Any]
) -> Any:
    ctx, param = where
    choose, to_path = helpers
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        items = value if isinstance(value, list | tuple) else [value]
        parsed = [_plain_value(item, info, one, where, helpers) for one in items]
        return _FALL_BACK if any(one is _FALL_BACK for one in parsed) else parsed
    if annotation is str:
        return value if isinstance(value, str) else _FALL_BACK
    if annotation is bool:
        return value if isinstance(value, bool) else _FALL_BACK
    if annotation is int:
        return _number(info, value, int, _INTEGER)
    if annotation is float:
        return _number(info, value, float, _DECIMAL)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return choose(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            return _FALL_BACK
    if annotation is Path and isinstance(value, str | Path):
        # typer's own path checks (exists, dir_okay, ...) run on the parsed Path.
        return to_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    return _FALL_BACK


def _number(info: Any, value: Any, kind: type[Any], pattern: re.Pattern[str]) -> Any:
    if isinstance(value, bool):
        return _FALL_BACK
    if isinstance(value, kind):
        number = value
    elif isinstance(value, str) and pattern.fullmatch(value):
        number = kind(value)
    else:
        return _FALL_BACK
    low, high = info.min, info.max
    if (low is not None and number < low) or (high is not None and number > high):
        return _FALL_BACK  # typer's adapter words the range error (or clamps)
    return number
