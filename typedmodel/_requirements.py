"""The environment a saved model needs: ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``.

The requirements are read from the model's pickle, without importing or running anything: every
module the pickle refers to by reference (a class or function imported from an installed
package, or a module that code pickled by value imports) is mapped to the distributions that
install it, each pinned to its installed version, as MLflow pins the packages a model imports.
The standard library is left out, and so is code pickled by value.

Requirement strings given by the user are checked with a small regex of PEP 508 (a name,
extras, version specifiers or ``@ url``, and an environment marker); the marker itself is not
parsed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import pickletools
import platform
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from typedmodel.errors import ModelFileError, SchemaError, short_repr

__all__ = [
    "CONDA_ENV",
    "PYTHON_ENV",
    "Requirements",
    "RequirementsError",
    "check_exclusive",
    "combine",
    "conda_env",
    "given_requirements",
    "normalize",
    "pickled_globals",
    "pickled_modules",
    "pin",
    "pinned",
    "python_env",
    "requirement_name",
]

PYTHON_ENV = "python_env.yaml"
CONDA_ENV = "conda.yaml"
BUILD_PACKAGES = ("pip", "setuptools", "wheel")

Requirements = Sequence[str] | str | os.PathLike[str]
"""What ``pip_requirements`` takes: requirement strings, or the path of a requirements file."""


class RequirementsError(SchemaError, ValueError):
    """A bad ``pip_requirements`` or ``extra_pip_requirements`` argument."""


# ---------------------------------------------------------------------------------------------
# What the pickle refers to
# ---------------------------------------------------------------------------------------------

_STRINGS = frozenset(
    {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING"}
)
_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_NEUTRAL = frozenset({"FRAME", "PROTO"})
_SUBIMPORT = object()  # cloudpickle's reducer of a module object: subimport("name")


def pickled_globals(file: IO[bytes]) -> set[tuple[str, str]]:
    """The ``(module, name)`` of every global a pickle refers to, and ``(module, "")`` for each
    module cloudpickle pickles as ``subimport(module)``.

    It walks the opcodes only: ``GLOBAL`` and ``INST`` carry both names, ``STACK_GLOBAL`` takes
    them from the two values pushed before it (strings, or memo gets of strings).
    """
    found: set[tuple[str, str]] = set()
    memo: dict[int, Any] = {}
    recent: list[Any] = [None, None]  # the last two values pushed: a str, _SUBIMPORT or None
    for op, arg, _ in pickletools.genops(file):
        name = op.name
        if name in _NEUTRAL:
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = recent[-1]
            continue
        if name in _PUTS and isinstance(arg, int):
            memo[arg] = recent[-1]
            continue
        value: Any = None
        if name in _STRINGS:
            value = arg if isinstance(arg, str) else None
        elif name in _GETS and isinstance(arg, int):
            value = memo.get(arg)
        elif name in ("GLOBAL", "INST", "STACK_GLOBAL"):
            if name == "STACK_GLOBAL":
                module, attr = recent
            else:
                module, _, attr = str(arg).partition(" ")
            if isinstance(module, str) and isinstance(attr, str):
                found.add((module, attr))
                if attr == "subimport" and module.split(".")[0] == "cloudpickle":
                    value = _SUBIMPORT
        if recent[-1] is _SUBIMPORT and isinstance(value, str):  # subimport(value)
            found.add((value, ""))
        recent = [recent[-1], value]
    return found


def pickled_modules(file: IO[bytes]) -> set[str]:
    """The modules a pickle refers to (see `pickled_globals`)."""
    return {module for module, _ in pickled_globals(file) if module}


# ---------------------------------------------------------------------------------------------
# Modules to pinned distributions
# ---------------------------------------------------------------------------------------------


def pinned(modules: Iterable[str], skip: Callable[[str], bool] = lambda _: False) -> list[str]:
    """``name==version`` of the distributions that install `modules` (sorted, deduplicated).

    The standard library and the modules `skip` accepts are left out, and so is a module no
    installed distribution provides (``__main__``, a file of the user's). A version that can't
    be read is left unpinned; a local version label (``+cu121``) is dropped, as MLflow drops
    it, so the pin installs from an index.
    """
    by_module = _distributions_by_module(_path_key())
    names: set[str] = set()
    for module in modules:
        top = module.split(".")[0]
        distributions = by_module.get(top)
        if not distributions or top in sys.stdlib_module_names or skip(module):
            continue
        names.update(normalize(d) for d in _owners(module, distributions))
    return [pin(name) for name in sorted(names)]


def normalize(name: str) -> str:
    """A distribution name as PEP 503 normalizes it (``PyYAML`` -> ``pyyaml``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pin(distribution: str) -> str:
    """``name==version`` of an installed distribution, or just its name."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return distribution
    return f"{distribution}=={version.split('+')[0]}"


def _path_key() -> tuple[tuple[str, int], ...]:
    """What the module map depends on: ``sys.path``, and when its directories last changed."""
    key = []
    for entry in sys.path:
        try:
            key.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(key)


@functools.lru_cache(maxsize=4)
def _distributions_by_module(key: tuple[tuple[str, int], ...]) -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def _owners(module: str, distributions: list[str]) -> list[str]:
    """Of the distributions sharing a namespace package (``google``), those holding `module`'s
    subpackage; all of them when that can't be told."""
    parts = module.split(".")
    if len(distributions) < 2 or len(parts) < 2:
        return distributions
    package, file = "/".join(parts[:2]) + "/", "/".join(parts[:2]) + "."
    owners = [
        d for d in distributions if any(str(f).startswith((package, file)) for f in _files(d))
    ]
    return owners or distributions


def _files(distribution: str) -> list[Any]:
    try:
        return list(importlib.metadata.files(distribution) or [])
    except importlib.metadata.PackageNotFoundError:
        return []


# ---------------------------------------------------------------------------------------------
# Requirements given by the user
# ---------------------------------------------------------------------------------------------

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9_.*+!-]+"
_SPECIFIERS = rf"{_VERSION}(?:\s*,\s*{_VERSION})*"
_REQUIREMENT = re.compile(
    rf"(?P<name>{_NAME})\s*"
    rf"(?:\[\s*(?:{_NAME}(?:\s*,\s*{_NAME})*)?\s*\])?\s*"
    rf"(?:@\s*\S+(?:\s+;\s*\S.*)?|(?:{_SPECIFIERS}|\(\s*{_SPECIFIERS}\s*\))?\s*(?:;\s*\S.*)?)"
)
_INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--trusted-host", "-i", "-f")


def requirement_name(line: str) -> str | None:
    """The normalized distribution name of a requirement string, or None (a pip option)."""
    match = _REQUIREMENT.match(line)
    return normalize(match["name"]) if match else None


def given_requirements(value: Requirements | None, argument: str) -> list[str] | None:
    """The requirement strings of a ``pip_requirements``-style argument, checked.

    A ``str`` or path is a requirements file (comments, continued lines and ``-r FILE`` are
    read as pip reads them); a sequence holds requirement strings (or ``-r FILE``, relative to
    the working directory). Index options (``--extra-index-url URL``) are kept as they are.

    Raises:
        RequirementsError: for an entry that is not a requirement string, naming it.
        ModelFileError: for a requirements file that can't be read.
    """
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return _dedupe(_read_file(Path(value), argument, set()))
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise RequirementsError(
            f"{argument} must be a list of requirement strings or the path of a requirements "
            f"file, not {type(value).__name__}"
        )
    return _dedupe(_parse(list(value), argument, Path.cwd(), set()))


def _read_file(path: Path, argument: str, seen: set[Path]) -> list[str]:
    resolved = path.resolve()
    if resolved in seen:
        raise RequirementsError(f"{argument}: {path} includes itself (-r)")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        hint = " (a single requirement goes in a list)" if not path.exists() else ""
        raise ModelFileError(f"{argument}: can't read {path}: {exc.strerror}{hint}") from None
    return _parse(text.splitlines(), f"{argument} ({path})", path.parent, seen | {resolved})


def _parse(lines: list[str], argument: str, base: Path, seen: set[Path]) -> list[str]:
    out: list[str] = []
    for line in _logical_lines(lines):
        if line.startswith(("-r ", "--requirement ")):
            included = Path(line.split(maxsplit=1)[1])
            out.extend(_read_file(base / included, argument, seen))
        elif line.split()[0].split("=")[0] in _INDEX_OPTIONS:
            out.append(line)
        elif line.startswith("-") or not _REQUIREMENT.fullmatch(line):
            raise RequirementsError(
                f"{argument}: {short_repr(line)} is not a requirement string (a name, with "
                "optional extras, versions and marker, as in 'scikit-learn==1.5.2')"
            )
        else:
            out.append(line)
    return out


def _logical_lines(lines: list[str]) -> Iterable[str]:
    """Lines as pip reads them: inline comments cut, ``\\`` continuations joined, blanks and
    comment lines dropped."""
    pending = ""
    for raw in lines:
        line = raw.strip()
        if " #" in line:
            line = line[: line.index(" #")].rstrip()
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        if line and not line.startswith("#"):
            yield line
    if pending:
        yield pending


def _dedupe(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def combine(
    inferred: list[str],
    core: str,
    pip_requirements: list[str] | None,
    extra_pip_requirements: list[str] | None,
) -> list[str]:
    """The lines of ``requirements.txt``: `pip_requirements` replacing `inferred` (with the
    `core` pin first when they don't name its distribution), or `inferred` followed by
    `extra_pip_requirements`."""
    if pip_requirements is None:
        return _dedupe([*inferred, *(extra_pip_requirements or [])])
    core_name = requirement_name(core)
    if any(requirement_name(line) == core_name for line in pip_requirements):
        return pip_requirements
    return [core, *pip_requirements]


def check_exclusive(pip_requirements: object, extra_pip_requirements: object) -> None:
    """Refuse both arguments at once, as MLflow does."""
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise RequirementsError(
            "give pip_requirements (the whole list) or extra_pip_requirements (added to the "
            "inferred list), not both"
        )


# ---------------------------------------------------------------------------------------------
# python_env.yaml and conda.yaml, as MLflow writes them
# ---------------------------------------------------------------------------------------------


def python_env(requirements_file: str) -> dict[str, Any]:
    """The content of ``python_env.yaml``: what ``--env-manager virtualenv`` builds."""
    return {
        "python": platform.python_version(),
        "build_dependencies": [pin(package) for package in BUILD_PACKAGES],
        "dependencies": [f"-r {requirements_file}"],
    }


def conda_env(requirements: list[str]) -> dict[str, Any]:
    """The content of ``conda.yaml``: Python, pip, and the requirements for pip."""
    pip = pin("pip").replace("==", "<=")  # conda-forge may not have the newest pip yet
    return {
        "name": "mlflow-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={platform.python_version()}", pip, {"pip": requirements}],
    }
