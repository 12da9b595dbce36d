"""Service behind `moneystory demo`: the bundled example statements and a throwaway home.

The statements are written by `examples/generate.py` into `examples/statements/`. A wheel ships
them as package data (`moneystory/examples_data/`, mapped in pyproject.toml), so the demo works
from an installed package as well as from a source checkout. Library code: no printing.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from moneystory.errors import MoneystoryError

PACKAGED = "examples_data"  # folder inside the installed package (wheel)
SOURCE_TREE = Path(__file__).resolve().parents[2] / "examples" / "statements"
SUFFIXES = (".csv", ".ofx", ".qfx", ".qif", ".xml")

# The story the examples tell, so the demo can point the commands at it.
REVIEW_YEAR = 2023
LOST_CARD, NEW_CARD, REPLACED_ON = "4417", "8823", "2023-06-12"
PLEDGE_FROM = "2023-07-01"


def statements_dir() -> Path:
    """Where the example statements are: the installed package first, then the source tree."""
    packaged = resources.files("moneystory") / PACKAGED
    if packaged.is_dir():
        return Path(str(packaged))
    if SOURCE_TREE.is_dir():
        return SOURCE_TREE
    raise MoneystoryError(
        "the bundled example statements are missing from this installation",
        hint="reinstall moneystory, or run `python examples/generate.py` in a source checkout",
    )


def example_files() -> list[Path]:
    """The example statements, sorted by name (so imports run in the same order every time)."""
    folder = statements_dir()
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    if not files:
        raise MoneystoryError(f"no example statements in {folder}",
                              hint="run `python examples/generate.py` to write them")
    return files


@dataclass
class DemoHome:
    """A store folder for the demo: a temporary one unless the person asked to keep it."""

    path: Path
    keep: bool
    files: list[Path] = field(default_factory=list)

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def open_home(keep: Path | None = None) -> DemoHome:
    """Make the home and copy the statements into it, so the import log points inside it."""
    if keep is not None:
        path = keep.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    else:
        path = Path(tempfile.mkdtemp(prefix="moneystory-demo-"))
    home = DemoHome(path=path, keep=keep is not None)
    try:
        target = path / "statements"
        target.mkdir(exist_ok=True, mode=0o700)
        for source in example_files():
            copy = target / source.name
            shutil.copyfile(source, copy)
            home.files.append(copy)
    except OSError as exc:
        home.close()
        raise MoneystoryError(f"cannot prepare the demo folder {path} ({exc.strerror})",
                              hint="choose another folder with --keep DIR") from exc
    return home


@dataclass(frozen=True)
class Step:
    """One real command the demo runs, under a heading, with an optional note below it."""

    title: str
    args: tuple[str, ...]
    note: str = ""


def steps(html: Path | None) -> list[Step]:
    """The tour: what exists, the 2023 story, the lost card, the pledge."""
    review = ("review", str(REVIEW_YEAR))
    return [
        Step("Accounts", ("accounts",)),
        Step(f"The {REVIEW_YEAR} story", (*review, "--html", str(html)) if html else review),
        Step("Recurring payments", ("recurring",)),
        Step(f"Card …{LOST_CARD} was lost on {REPLACED_ON}: who holds it",
             ("card-changed", "--card", LOST_CARD, "--as-of", REPLACED_ON),
             note="Ranked by the next charge: tell these merchants the new card first."),
        # Recording the replacement prints the status checklist as of the newest data.
        Step(f"The replacement card …{NEW_CARD}: which merchants have moved",
             ("card-changed", "--new", NEW_CARD, "--old", LOST_CARD, "--on", REPLACED_ON)),
        Step(f"A pledge: no new buy-now-pay-later credit from {PLEDGE_FROM}",
             ("optout", "--from", PLEDGE_FROM, "--yes")),
        Step("Pledge check", ("check",),
             note="`check` exits with code 3 when a pledge is broken, so it can run from cron."),
    ]
