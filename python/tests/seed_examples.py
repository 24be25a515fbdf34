"""Loads the seed's examples (tests/examples/*.py, copied unchanged from the
user's API description) with only their DSN replaced by the test database's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parent / "examples"
SEED_DSN = "postgresql://localhost/mydb"

# The snippets "Producing Messages" and "Consuming Messages" continue the
# "Setup" snippet and use its imports; they run with those imports in scope.
SETUP_IMPORTS = "import asyncio\nfrom pgqrs import Admin, Producer, Consumer\n"


def example_source(name: str, dsn: str) -> str:
    """The example's text with the DSN replaced."""
    text = (EXAMPLES / f"{name}.py").read_text()
    assert SEED_DSN in text or name == "type_hints"
    return text.replace(SEED_DSN, dsn)


def run_example(name: str, dsn: str, *, as_main: bool = False, with_setup_imports: bool = False) -> dict[str, Any]:
    """Executes the example as a module (``__main__`` when as_main); returns its namespace."""
    namespace: dict[str, Any] = {"__name__": "__main__" if as_main else f"seed_{name}"}
    if with_setup_imports:
        exec(compile(SETUP_IMPORTS, "<setup imports>", "exec"), namespace)
    exec(compile(example_source(name, dsn), str(EXAMPLES / f"{name}.py"), "exec"), namespace)
    return namespace
