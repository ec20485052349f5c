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

A number's allowed range is declared the same way, ``Annotated[int, Range(ge=1)]``
(:mod:`multis2s.ranges`), and checked by :func:`coerce`.
"""

from __future__ import annotations

import difflib
import inspect
import reprlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Collection, Literal, Mapping

from multis2s.errors import ConfigError
from multis2s.ranges import Range, generic_problem, implied_range, is_number
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
NAME_CHARACTERS = 100
"""The longest component name (``type:``) read: a longer one is not a name."""

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring = _REPR.maxlong = _REPR.maxother = SHOWN_CHARACTERS


def cut(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters (marked with …)."""
    return text if len(text) <= limit else f"{text[:limit]}…"


def shown(value: Any) -> str:
    """``repr(value)`` for error messages, bounded: a huge value (a long string, an alias bomb's
    nested lists, a 5,000-digit int) never makes a huge line, nor a huge string on the way."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {round(value.bit_length() * 0.30103)} digits"
    if isinstance(value, str) and len(value) > SHOWN_CHARACTERS:
        return f"{repr(value[:SHOWN_CHARACTERS])[:-1]}… ({len(value)} characters)"
    return cut(_REPR.repr(value))


def key_text(key: Any) -> str:
    """A mapping key as it appears in a key path: bounded, on one line."""
    return cut(key) if isinstance(key, str) and key.isprintable() else shown(key)


def is_name(value: Any) -> bool:
    """A component, metric or module name: a printable string of at most :data:`NAME_CHARACTERS`."""
    return isinstance(value, str) and 0 < len(value) <= NAME_CHARACTERS and value.isprintable()


class OutOfRange(ConfigError):
    """A number of the right type outside its allowed range (``requirement``: ``>= 1``, …)."""

    def __init__(self, where: str, requirement: str, value: Any) -> None:
        super().__init__(f"{where}: must be {requirement}, got {shown(value)}")
        self.requirement = requirement


def _unwrap(annotation: Any) -> tuple[Any, Nested | None]:
    """``Annotated[T, Nested(...)]`` → (T, the marker); anything else → (it, None)."""
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        return base, next((m for m in metadata if isinstance(m, Nested)), None)
    return annotation, None


def _limits(annotation: Any) -> tuple[Range, ...]:
    """The :class:`Range` markers of ``Annotated[T, Range(...), …]``."""
    if typing.get_origin(annotation) is Annotated:
        return tuple(m for m in typing.get_args(annotation)[1:] if isinstance(m, Range))
    return ()


def nested_marker(annotation: Any) -> Nested | None:
    """The :class:`Nested` marker of an option's annotation, or None."""
    return _unwrap(annotation)[1]


def _type_name(annotation: Any) -> str:
    limits = " ".join(str(limit) for limit in _limits(annotation))
    annotation, _ = _unwrap(annotation)
    if limits:
        name = _type_name(annotation)
        return f"{name} {limits}" if typing.get_origin(annotation) not in (list, tuple) else f"{name} (each {limits})"
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
    """``value`` converted to ``annotation`` (int → float and str → Path are allowed) and inside
    its declared :class:`Range` (each number of a list), else a ConfigError. Floats must be finite
    and ints fit in 64 bits wherever they are declared."""
    limits = _limits(annotation)
    converted = _coerce(value, _unwrap(annotation)[0], where)
    if limits:
        _check_range(converted, value, limits, where)
    return converted


def _check_range(value: Any, written: Any, limits: tuple[Range, ...], where: str) -> None:
    """Each number in ``value`` (converted from ``written``) is inside every one of ``limits``."""
    if isinstance(value, (list, tuple)):
        for index, (item, item_written) in enumerate(zip(value, written)):
            _check_range(item, item_written, limits, f"{where}[{index}]")
        return
    for limit in limits:
        if is_number(value) and value not in limit:
            raise OutOfRange(where, str(limit), written)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
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
        missed: list[str] = []  # the ranges of the options whose type fits
        for option in options:
            try:
                return coerce(value, option, where)
            except OutOfRange as exc:
                missed.append(exc.requirement)
            except ConfigError:
                continue
        if missed:
            raise OutOfRange(where, " or ".join(dict.fromkeys(missed)), value)
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
        try:
            value = float(value)
        except OverflowError:
            raise OutOfRange(where, "a finite number", value) from None
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {shown(value)}")
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected int, got {shown(value)}")
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise ConfigError(f"{where}: expected {_type_name(annotation)}, got {shown(value)}")
    problem = generic_problem(value) if annotation in (int, float) else None
    if problem is not None:
        raise OutOfRange(where, problem, value)
    return value


def unknown_key_error(key: str, known: list[str], where: str) -> ConfigError:
    """The error for an unknown key, naming the closest known keys."""
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return ConfigError(f"{where}: unknown key{hint}; known keys: {', '.join(sorted(known)) or 'none'}")


def options_of(factory: Callable) -> dict[str, inspect.Parameter]:
    """The keyword-only parameters of a factory (a class's ``__init__`` or a function), each
    annotated with the range its name implies when it declares none (:func:`multis2s.ranges.implied_range`)."""
    signature = inspect.signature(factory)
    target = factory.__init__ if inspect.isclass(factory) else factory
    hints = typing.get_type_hints(target, include_extras=True)
    params = {}
    for name, param in signature.parameters.items():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        params[name] = param.replace(annotation=_with_implied_range(name, hints.get(name, param.annotation),
                                                                    param.default))
    return params


def declares_range(annotation: Any) -> bool:
    """Whether ``annotation`` (or a member of its union) carries a :class:`Range`."""
    if _limits(annotation):
        return True
    base = _unwrap(annotation)[0]
    return typing.get_origin(base) in (typing.Union, types.UnionType) and any(
        declares_range(a) for a in typing.get_args(base))


def _with_implied_range(name: str, annotation: Any, default: Any) -> Any:
    """``annotation``, or ``Annotated[annotation, <the range name implies>]`` when it declares none."""
    base, marker = _unwrap(annotation)
    if marker is not None or declares_range(annotation):
        return annotation
    if typing.get_origin(base) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(base) if a is not type(None)]
        base = options[0] if len(options) == 1 else None
    implied = implied_range(name, base, default)
    return annotation if implied is None else Annotated[annotation, implied]


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
    elif is_name(value):
        name, options = value, {}
    elif isinstance(value, Mapping) and is_name(value.get("type")):
        name, options = value["type"], {str(k): v for k, v in value.items() if k != "type"}
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
            raise unknown_key_error(key_text(key), user_params, f"{where}.{key_text(key)}")
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
