"""A component's options: checked against its factory's keyword-only, annotated signature.

A component's options are exactly the keyword-only parameters of its factory, minus the ones the
core (or, for encoders, the stream's source pipeline) supplies. :func:`resolve` turns a user's
mapping into the complete, checked options — defaults filled in, relative paths made absolute,
nested components resolved — both as plain data (for the run's saved config) and as the keyword
arguments of the call; :func:`build` makes the component. Errors name the file and the key path.

Two kinds of parameter get special treatment:

- ``pathlib.Path`` (or ``Path | None``): a relative path is resolved against a base folder (the
  config file's folder, or the working directory for command-line overrides).
- ``Annotated[..., Nested("<kind>")]``: the value names another registered component of that
  kind, as ``name`` or ``{type: name, option: value, …}``; the factory receives it as a
  :class:`BoundFactory` to call with the arguments it supplies itself (e.g. the RNN decoder
  builds one attention per stream, supplying ``query_dim`` and ``memory_dim``).
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Collection, Literal, Mapping

from multis2s.errors import ConfigError
from multis2s.registry import SINGULAR, Registry


@dataclass(frozen=True)
class Nested:
    """Marks a factory option whose value is a component of registry kind ``kind``."""

    kind: str
    supplied: tuple[str, ...] = ()
    """Arguments the receiving factory passes when it calls the nested one (not config keys)."""


class BoundFactory:
    """A registered factory with the user's options bound; call it with what the caller supplies."""

    def __init__(self, factory: Callable, options: Mapping[str, Any]) -> None:
        self.factory, self.options = factory, dict(options)

    def __call__(self, **supplied: Any) -> Any:
        return self.factory(**self.options, **supplied)


@dataclass(frozen=True)
class Resolved:
    """A component's complete options: ``plain`` for the saved config, ``kwargs`` for the call."""

    plain: dict[str, Any]
    kwargs: dict[str, Any]


SHOWN_CHARACTERS = 60


def shown(value: Any) -> str:
    """``repr(value)``, cut short for error messages (a huge value never makes a huge line)."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}… ({len(text)} characters)"


def _unwrap(annotation: Any) -> tuple[Any, Nested | None]:
    """``Annotated[T, Nested(...)]`` → (T, the marker); anything else → (it, None)."""
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        return base, next((m for m in metadata if isinstance(m, Nested)), None)
    return annotation, None


def nested_marker(annotation: Any) -> Nested | None:
    """The :class:`Nested` marker of an option's annotation, or None."""
    return _unwrap(annotation)[1]


def _type_name(annotation: Any) -> str:
    annotation, _ = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(repr(v) for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _is_path(annotation: Any) -> bool:
    if annotation is Path:
        return True
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and Path in typing.get_args(annotation)


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """``value`` converted to ``annotation`` (int → float and str → Path are allowed), else a ConfigError."""
    annotation, _ = _unwrap(annotation)
    if annotation is Any or annotation is inspect.Parameter.empty:
        return value
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{where}: {shown(value)} is not one of {', '.join(repr(a) for a in args)}")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [option for option in args if option is not type(None)]
        if len(options) == 1:
            return coerce(value, options[0], where)
        for option in options:
            try:
                return coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {_type_name(annotation)}, got {shown(value)}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {shown(value)}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
            return tuple(coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        converted = [coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {shown(value)}")
        return dict(value)
    if annotation is Path:
        if not isinstance(value, (str, Path)) or not str(value):
            raise ConfigError(f"{where}: expected a path, got {shown(value)}")
        return Path(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {shown(value)}")
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected int, got {shown(value)}")
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise ConfigError(f"{where}: expected {_type_name(annotation)}, got {shown(value)}")
    return value


def unknown_key_error(key: str, known: list[str], where: str) -> ConfigError:
    """The error for an unknown key, naming the closest known keys."""
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return ConfigError(f"{where}: unknown key{hint}; known keys: {', '.join(sorted(known)) or 'none'}")


def options_of(factory: Callable) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of a factory (a class's ``__init__`` or a function)."""
    signature = inspect.signature(factory)
    target = factory.__init__ if inspect.isclass(factory) else factory
    hints = typing.get_type_hints(target, include_extras=True)
    params = {}
    for name, param in signature.parameters.items():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        params[name] = param.replace(annotation=hints.get(name, param.annotation))
    return params


def plain(value: Any) -> Any:
    """A value as YAML-ready data: tuples become lists, paths strings."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _nested(marker: Nested, value: Any, where: str, registry: Registry, base: Callable[[str], Path]
            ) -> tuple[dict[str, Any], BoundFactory]:
    """A nested component given as a name, a ``{type: …}`` mapping, or its factory (a default):
    its complete options as plain data, and its factory with them bound."""
    if callable(value) and not isinstance(value, str):
        name, options = registry.name_of(marker.kind, value), {}
    elif isinstance(value, str):
        name, options = value, {}
    elif isinstance(value, Mapping) and isinstance(value.get("type"), str):
        name, options = value["type"], {k: v for k, v in value.items() if k != "type"}
    else:
        raise ConfigError(f"{where}: expected the name of a {SINGULAR[marker.kind]} or a mapping with a 'type', "
                          f"got {shown(value)}")
    try:
        component = registry.get(marker.kind, name)
    except Exception as exc:
        raise ConfigError(f"{where}.type: {exc}") from None
    inner = resolve(component.factory, options, where=where, supplied=marker.supplied, registry=registry, base=base)
    return {"type": name, **inner.plain}, BoundFactory(component.factory, inner.kwargs)


def resolve(factory: Callable, options: Mapping[str, Any], *, where: str, supplied: Collection[str],
            registry: Registry, base: Callable[[str], Path]) -> Resolved:
    """The complete options of ``factory`` from the user's ``options``.

    ``where`` is the key path (with the file) that errors start with; ``supplied`` names the
    arguments filled in by the caller (never config keys); ``base(key)`` is the folder a relative
    path of option ``key`` is relative to.
    """
    params = options_of(factory)
    user_params = [name for name in params if name not in supplied]
    for key in options:
        if key not in user_params:
            raise unknown_key_error(key, user_params, f"{where}.{key}")
    missing = [n for n in user_params if n not in options and params[n].default is inspect.Parameter.empty]
    if missing:
        raise ConfigError(f"{where}: missing required key(s): {', '.join(missing)}")
    plain_options, kwargs = {}, {}
    for name in user_params:
        annotation = params[name].annotation
        value = options[name] if name in options else params[name].default
        _, marker = _unwrap(annotation)
        if marker is not None:
            plain_options[name], kwargs[name] = _nested(marker, value, f"{where}.{name}", registry,
                                                        lambda key, name=name: base(name))
            continue
        value = coerce(value, annotation, f"{where}.{name}")
        if _is_path(_unwrap(annotation)[0]) and isinstance(value, Path) and not value.is_absolute():
            value = (base(name) / value.expanduser()).resolve()
        plain_options[name], kwargs[name] = plain(value), value
    return Resolved(plain_options, kwargs)


def build(factory: Callable, options: Mapping[str, Any], *, where: str, supplied: Mapping[str, Any] | None = None,
          registry: Registry | None = None, base: Callable[[str], Path] = lambda key: Path.cwd()) -> Any:
    """Call ``factory`` with the user's ``options`` (checked and completed by :func:`resolve`) plus
    the ``supplied`` values it declares. ``registry`` is needed for nested components given by name.

    A ``ValueError`` raised by the factory itself is reported as a config error at ``where``.
    """
    supplied = dict(supplied or {})
    resolved = resolve(factory, options, where=where, supplied=supplied, registry=registry or Registry(), base=base)
    params = options_of(factory)
    try:
        return factory(**resolved.kwargs, **{k: v for k, v in supplied.items() if k in params})
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def describe_options(factory: Callable, supplied: Collection[str] = (), registry: Registry | None = None
                     ) -> list[tuple[str, str, str]]:
    """``(name, type, default)`` for each user option of a factory, for docs and ``plugins``."""
    rows = []
    for name, param in options_of(factory).items():
        if name in supplied:
            continue
        _, marker = _unwrap(param.annotation)
        default = param.default
        if marker is not None and registry is not None:
            names = " | ".join(repr(n) for n in registry.names(marker.kind))
            rows.append((name, f"{SINGULAR[marker.kind]}: {names}", repr(registry.name_of(marker.kind, default))))
            continue
        written = "required" if default is inspect.Parameter.empty else repr(plain(default))
        rows.append((name, _type_name(param.annotation), written))
    return rows
