"""Check a config section's keys against a factory's keyword-only, annotated signature.

A component's options are exactly the keyword-only parameters of its factory, minus the ones the
core supplies. This module turns a user's mapping into checked, typed keyword arguments, and says
which key of which file is wrong when it cannot.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from typing import Any, Callable, Literal, Mapping

from multis2s.errors import ConfigError


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(repr(v) for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(annotation, "__name__", str(annotation))


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """``value`` converted to ``annotation`` (int → float is allowed), else a ConfigError."""
    if annotation is Any or annotation is inspect.Parameter.empty:
        return value
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(repr(a) for a in args)}")
    if origin in (typing.Union, types.UnionType):
        for option in args:
            if option is type(None):
                if value is None:
                    return None
                continue
            try:
                return coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {_type_name(annotation)}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
            return tuple(coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        converted = [coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected int, got {value!r}")
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise ConfigError(f"{where}: expected {_type_name(annotation)}, got {value!r}")
    return value


def unknown_key_error(key: str, known: list[str], where: str) -> ConfigError:
    """The error for an unknown key, naming the closest known keys."""
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return ConfigError(f"{where}: unknown key{hint}; known keys: {', '.join(sorted(known)) or 'none'}")


def options_of(factory: Callable) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of a factory (a class's ``__init__`` or a function)."""
    signature = inspect.signature(factory)
    hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    params = {}
    for name, param in signature.parameters.items():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        params[name] = param.replace(annotation=hints.get(name, param.annotation))
    return params


def build(
    factory: Callable,
    options: Mapping[str, Any],
    *,
    where: str,
    supplied: Mapping[str, Any] | None = None,
) -> Any:
    """Call ``factory`` with the checked ``options`` plus the ``supplied`` values it declares.

    ``where`` is the key path (with the file) that error messages start with. A ``ValueError``
    raised by the factory itself is reported as a config error at ``where``.
    """
    params = options_of(factory)
    supplied = {k: v for k, v in (supplied or {}).items() if k in params}
    user_params = [name for name in params if name not in supplied]
    kwargs: dict[str, Any] = dict(supplied)
    for key, value in options.items():
        if key not in user_params:
            raise unknown_key_error(key, user_params, f"{where}.{key}")
        kwargs[key] = coerce(value, params[key].annotation, f"{where}.{key}")
    missing = [n for n in user_params if n not in kwargs and params[n].default is inspect.Parameter.empty]
    if missing:
        raise ConfigError(f"{where}: missing required key(s): {', '.join(missing)}")
    try:
        return factory(**kwargs)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def describe_options(factory: Callable, supplied: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """``(name, type, default)`` for each user option of a factory, for docs and ``plugins``."""
    rows = []
    for name, param in options_of(factory).items():
        if name in supplied:
            continue
        default = "required" if param.default is inspect.Parameter.empty else repr(param.default)
        rows.append((name, _type_name(param.annotation), default))
    return rows
