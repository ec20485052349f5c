"""``multis2s new-plugin``: write a plugin package, ready for ``pip install -e``.

``write_plugin("myenc", "encoder", Path("."))`` writes::

    myenc/pyproject.toml        the entry point myenc = "myenc" in the "multis2s" group
    myenc/README.md             how to install, test and use it
    myenc/myenc/__init__.py     the hook, registering the component under the name "myenc"
    myenc/myenc/encoder.py      a working minimal component of the kind
    myenc/tests/test_myenc.py   its tests: registered, works, trains or scores

Each kind's files are in its own module (:mod:`multis2s.scaffold.encoder`, ``dataset``, ``metric``,
``modality``); the files every kind shares are below.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from pathlib import Path
from string import Template as Text

from multis2s.errors import Multis2sError
from multis2s.scaffold import dataset, encoder, metric, modality
from multis2s.scaffold.template import Template

TEMPLATES: dict[str, Template] = {"encoder": encoder.TEMPLATE, "dataset": dataset.TEMPLATE,
                                  "metric": metric.TEMPLATE, "modality": modality.TEMPLATE}
NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
"""A package name: a lower-case Python identifier (it is also the component's and the modality's name)."""


class ScaffoldError(Multis2sError):
    """A plugin name that cannot be a package, or a folder that is already there."""


PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$package"
version = "0.1.0"
description = "A multis2s $kind plugin"
requires-python = ">=3.11"
dependencies = ["multis2s"]

[project.optional-dependencies]
test = ["pytest>=7"]

# What makes it a plugin: multis2s loads every entry point of the "multis2s" group.
[project.entry-points.multis2s]
$package = "$package"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
'''

INIT = '''\
"""The $package plugin for multis2s: $help.

multis2s finds this module through the "$package" entry point (pyproject.toml) and calls the hook
once, when it builds its registry; the component's module is imported there, not at import.
"""

from multis2s import hookimpl


@hookimpl
def $hook(register):
    from $package.$module import $cls

    register("$package", $cls, modality="$modality",
             help="$help")
'''

README = '''\
# $package

A multis2s $kind plugin: $help.

```sh
pip install -e $package                 # from the folder that holds this one
multis2s plugins | grep $package        # $kind  $package  $package  ...
cd $package && python -m pytest -q      # its tests (they also run uninstalled, from this folder)
```

$usage
Edit `$package/$module.py` to make it yours; `$package/__init__.py` registers it. Every hook, what
the core supplies and how options are declared and checked: `docs/plugins.md` in multis2s.
'''


def check_name(name: str) -> None:
    """ScaffoldError unless ``name`` can be the plugin's package name."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        hint = f" (try {name.lower().replace('-', '_')!r})" if NAME.fullmatch(name.lower().replace("-", "_")) else ""
        raise ScaffoldError(f"plugin name {name[:60]!r}: expected a lower-case Python package name "
                            f"(a letter, then letters, digits or _; at most 50){hint}")
    if name in sys.stdlib_module_names or name == "tests" or importlib.util.find_spec(name) is not None:
        raise ScaffoldError(f"plugin name {name!r}: a module of that name exists already; choose another")


def class_name(name: str, suffix: str) -> str:
    """``my_enc`` + ``Encoder`` → ``MyEncEncoder``."""
    return "".join(part.capitalize() for part in name.split("_")) + suffix


def files(name: str, kind: str) -> dict[str, str]:
    """The package's files, path (relative to its folder) → text."""
    template = TEMPLATES[kind]
    values = {"package": name, "kind": kind, "cls": class_name(name, template.suffix), "hook": template.hook,
              "module": template.module, "help": template.help,
              "modality": Text(template.modality).substitute(package=name)}
    values["usage"] = Text(template.usage).substitute(values)
    texts = {"pyproject.toml": PYPROJECT, "README.md": README, f"{name}/__init__.py": INIT,
             f"{name}/{template.module}.py": template.component, f"tests/test_{name}.py": template.test}
    return {path: Text(text).substitute(values) for path, text in texts.items()}


def write_plugin(name: str, kind: str, out: Path) -> Path:
    """Write the package ``out/name`` for a ``kind`` plugin and return its folder."""
    check_name(name)
    if kind not in TEMPLATES:
        raise ScaffoldError(f"plugin kind {kind!r}: expected one of {', '.join(TEMPLATES)}")
    folder = out / name
    if folder.exists():
        raise ScaffoldError(f"{folder} exists already: remove it or choose another name or -o folder")
    try:
        for path, text in files(name, kind).items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScaffoldError(f"cannot write {folder}: {exc.strerror or exc}") from None
    return folder
