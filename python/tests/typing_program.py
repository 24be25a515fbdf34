"""Imports tests/typing/program.py (a folder named "typing" cannot be a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("pgqrs_typing_program", Path(__file__).parent / "typing" / "program.py")
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
main = _module.main
