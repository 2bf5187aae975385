"""Which Django a project declares: read from its packaging files, never imported.

Some admin behaviour changed in Django 6.1: with ``list_select_related = False`` the
changelist used to call ``select_related()`` without arguments (which skips nullable
foreign keys) and now selects exactly the foreign keys named in ``list_display``. A
finding that holds only on one side of that line is reported only when the project's
declared requirement keeps it there; unknown stays silent.

The requirement is looked up from the linted file's folder upwards (at most
``_LEVELS`` folders, stopping at a folder holding ``.git``): ``pyproject.toml``,
``setup.cfg``, ``setup.py``, ``requirements*.txt`` and, for an unpacked wheel or an
installed package, ``*.dist-info/METADATA`` beside the package."""

from __future__ import annotations

import glob
import os
import re
from typing import Any, Dict, List, Optional, Tuple

from fftlint.facts.provider import Provider

NAME = "django-version"
_LEVELS = 6
_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
#: ``Django>=4.2,<5.0`` / ``"django (>=4.2,<5.3)"`` / ``Requires-Dist: django<5.3,>=4.2``
_REQUIREMENT = re.compile(r"""(?im)(?:^|["'\s:,\[])django\s*\(?\s*((?:[<>=!~]=?\s*[0-9][0-9a-z.*]*\s*,?\s*)+)""")
_SPEC = re.compile(r"(<=|<|==|~=|>=|>|!=)\s*([0-9][0-9a-z.*]*)")


def _version(text: str) -> Tuple[int, ...]:
    out = []
    for part in text.split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        out.append(int(digits.group()))
    return tuple(out)


def below(specifiers: str, bound: Tuple[int, ...]) -> Optional[bool]:
    """Whether every version ``specifiers`` admits is below ``bound``: True when an upper
    limit keeps them there (``<5.0``, ``<=6.0.4``, ``==5.2.*``, ``~=4.2``), False when
    some admitted version reaches it (no upper limit, or one above), None when the
    text says nothing usable."""
    found = _SPEC.findall(specifiers)
    if not found:
        return None
    uppers: List[Tuple[Tuple[int, ...], bool]] = []  # (version, inclusive)
    for op, text in found:
        version = _version(text.rstrip(".*"))
        if not version:
            continue
        if op == "<":
            uppers.append((version, False))
        elif op == "<=":
            uppers.append((version, True))
        elif op == "==":
            if text.endswith("*"):  # ==5.2.* : below 5.3
                uppers.append((version[:-1] + (version[-1] + 1,), False))
            else:
                uppers.append((version, True))
        elif op == "~=" and len(version) >= 2:  # ~=4.2 : <5.0; ~=4.2.1 : <4.3
            head = version[:-1]
            uppers.append((head[:-1] + (head[-1] + 1,), False))
    if not uppers:
        return False
    version, inclusive = min(uppers)
    return version < bound if inclusive else version <= bound


def declared_requirement(folder: str) -> Optional[str]:
    """The Django specifiers the nearest packaging file at or above ``folder`` declares;
    None when none declares Django."""
    current = os.path.abspath(folder)
    for _ in range(_LEVELS):
        candidates = [os.path.join(current, name) for name in _FILES]
        candidates += sorted(glob.glob(os.path.join(current, "requirements*.txt")))
        candidates += sorted(glob.glob(os.path.join(current, "*.dist-info", "METADATA")))
        for path in candidates:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(200_000)
            except OSError:
                continue
            match = _REQUIREMENT.search(text)
            if match:
                return match.group(1).strip()
        if os.path.isdir(os.path.join(current, ".git")):
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return None


class DjangoVersionProvider(Provider):
    """The Django requirement the linted project declares (see the module docstring);
    the file it came from keys the results of the files it answers for."""

    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._by_folder: Dict[str, Optional[str]] = {}

    def requirement(self, path: str) -> Optional[str]:
        if path in ("-", "<stdin>"):
            return None
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in self._by_folder:
            self._by_folder[folder] = declared_requirement(folder)
        return self._by_folder[folder]

    def before(self, path: str, bound: Tuple[int, ...]) -> Optional[bool]:
        """Whether the project's declared Django is always below ``bound`` (None: not declared)."""
        spec = self.requirement(path)
        return below(spec, bound) if spec is not None else None

    def external_inputs(self, path: str) -> str:
        spec = self.requirement(path)
        return f"django{spec}" if spec is not None else ""

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_by_folder"] = {}
        return state
