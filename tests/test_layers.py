"""The architecture holds: no module imports a layer above its own, and --help stays light."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "moneystory"

LAYER0 = {"errors", "money", "paths", "models", "schema", "masking", "frames", "words", "keys"}
LAYER1_PACKAGES = {"importers", "enrich", "analyzers"}
INTERFACE = {"cli", "render"}


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.startswith("moneystory.") else module
    if top in LAYER0 or top == "moneystory":
        return 0
    if top in LAYER1_PACKAGES:
        return 1
    if top in INTERFACE or top == "__main__":
        return 3
    return 2  # services: store, ingest, analysis, reports, story, cards, pledges, demo ...


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        found.append((".".join(rel.parts).removesuffix(".__init__"), path))
    return found


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_no_upward_imports(module: str, path: Path) -> None:
    """A module may import its own layer or lower ones, never higher."""
    own = _layer(module)
    upward = [
        name for name in _imports(path)
        if name.startswith("moneystory.") and _layer(name) > own
    ]
    assert not upward, f"{module} (layer {own}) imports {upward}"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_typer_and_rich_only_at_the_interface(module: str, path: Path) -> None:
    """Library code never talks to the terminal."""
    if _layer(module) == 3:
        return
    banned = [n for n in _imports(path) if n.split(".")[0] in ("typer", "rich")]
    assert not banned, f"{module} imports {banned}"


def test_help_does_not_import_polars() -> None:
    """`moneystory --help` starts without polars (it costs more than half a second)."""
    code = (
        "import sys\n"
        "from moneystory.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('polars' in sys.modules, 'pyarrow' in sys.modules,\n"
        "      'markdown_it' in sys.modules, 'pygments' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # nor rich's Markdown and syntax-highlighting modules, which typer imports for help
    assert out.stdout.strip().splitlines()[-1] == "False False False False"


def test_rich_modules_put_off_still_work_when_used() -> None:
    """The stand-ins of moneystory.cli load the real rich.markdown and rich.traceback on use."""
    code = (
        "import sys\n"
        "import moneystory.cli\n"
        "from rich.console import Console\n"
        "from rich.markdown import Markdown\n"
        "import rich.traceback\n"
        "import io\n"
        "console = Console(file=io.StringIO(), width=60, record=True, color_system=None)\n"
        "console.print(Markdown('# Title\\n\\nsome *text*'))\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n"
        "    console.print(rich.traceback.Traceback())\n"
        "print(callable(rich.traceback.install), 'markdown_it' in sys.modules)\n"
        "print(console.export_text())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("True True")
    assert "Title" in out.stdout and "some text" in out.stdout
    assert "ZeroDivisionError: division by zero" in out.stdout


def test_the_command_line_loads_no_pydantic_plugin() -> None:
    """A pydantic plugin (an observability one) could send what the models hold elsewhere:
    the CLI turns them off before its first model is built, unless the user chose."""
    code = (
        "import os\n"
        "import moneystory.cli\n"
        "from moneystory.analyzers import review\n"
        "from pydantic.plugin._loader import get_plugins\n"
        "print(os.environ['PYDANTIC_DISABLE_PLUGINS'], list(get_plugins()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["__all__", "[]"]
