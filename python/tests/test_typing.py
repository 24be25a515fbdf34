"""The stubs: mypy --strict accepts a program using every public API, which also runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typing_program import main

HERE = Path(__file__).parent


def test_mypy_strict_on_full_program(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / "typing" / "program.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


STUBS = ["__init__", "_client", "_core", "_worker", "admin", "config", "consumer", "errors", "producer", "tables", "types"]


def test_package_ships_stubs() -> None:
    import pgqrs

    package = Path(pgqrs.__file__).parent
    assert (package / "py.typed").exists()
    for name in STUBS:
        assert (package / f"{name}.pyi").exists(), name


def test_stubs_match_the_package(tmp_path: Path) -> None:
    """mypy's stubtest: every stub of a Python module agrees with the code (the
    compiled _core is left out: pybind11 classes differ in ways stubs cannot say)."""
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("pgqrs._core.*\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pgqrs", "--ignore-missing-stub", "--allowlist", str(allowlist)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_full_program_runs(dsn: str) -> None:
    await main(dsn)
