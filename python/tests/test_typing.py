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


def test_package_ships_stubs() -> None:
    import pgqrs

    package = Path(pgqrs.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_core.pyi").exists()


async def test_full_program_runs(dsn: str) -> None:
    await main(dsn)
