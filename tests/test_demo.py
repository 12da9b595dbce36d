"""`moneystory demo`: the real commands on the bundled examples, in a home that goes away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneystory import demo as service
from moneystory.cli import app

EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "examples" / "expected.json")
                      .read_text(encoding="utf-8"))


def _run_demo(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["demo", *args])
    return result.exit_code, result.output


@pytest.fixture(name="demo_run", scope="module")
def _demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("demo")
    page, kept = base / "review.html", base / "kept-home"
    code, output = _run_demo("--keep", str(kept), "--html", str(page))
    return {"code": code, "output": output, "page": page, "kept": kept}


def test_demo_imports_every_example_file_and_lists_the_accounts(demo_run: dict) -> None:
    assert demo_run["code"] == 0, demo_run["output"]
    output = demo_run["output"]
    assert "Traceback" not in output
    for name, info in EXPECTED["files"].items():
        assert name in output
        assert f"{info['rows']} rows" in output  # the import summary, per file
    assert "Accounts" in output
    assert "harborpointcu" in output or "8213" in output  # the checking account, masked


def test_demo_keeps_its_store_only_when_asked(demo_run: dict) -> None:
    kept = demo_run["kept"]
    assert isinstance(kept, Path)
    assert sorted(p.name for p in (kept / "statements").iterdir()) == sorted(EXPECTED["files"])
    assert (kept / "store" / "imports.json").exists()


def test_demo_deletes_the_throwaway_home(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    made = tmp_path / "throwaway"

    def fake_mkdtemp(prefix: str = "") -> str:
        made.mkdir()
        return str(made)

    monkeypatch.setattr(service.tempfile, "mkdtemp", fake_mkdtemp)
    code, output = _run_demo("--no-html")
    assert code == 0, output
    assert str(made) in output.replace("\n", "")
    assert not made.exists()


def test_demo_shows_the_review_and_writes_the_page(demo_run: dict) -> None:
    output, page = str(demo_run["output"]), demo_run["page"]
    assert "unexpected" not in output, output
    assert "2023" in output
    assert isinstance(page, Path) and page.exists(), output
    assert "<html" in page.read_text(encoding="utf-8").lower()
    assert str(page) in output.replace("\n", "")


def test_demo_flags_the_klarna_plan_opened_after_the_pledge(demo_run: dict) -> None:
    output = str(demo_run["output"])
    violation = next(p for p in EXPECTED["bnpl"]["plans"] if not p["before_pledge_date"])
    assert violation["instalments"][0]["date"] in output
    assert "KLARNA" in output.upper()
    assert "exit code 3" in output
    legacy = [p for p in EXPECTED["bnpl"]["plans"] if p["before_pledge_date"]]
    assert all(p["instalments"][0]["date"] not in output.split("Pledge check")[-1]
               for p in legacy)


def test_demo_lists_the_holders_of_the_lost_card(demo_run: dict) -> None:
    output = str(demo_run["output"])
    holders = output.split("who holds it")[-1].split("which merchants have moved")[0]
    for merchant in ("Netflix", "Spotify", "Disney", "Uber", "Afterpay"):
        assert merchant.lower() in holders.lower(), holders
    moved = output.split("which merchants have moved")[-1].split("A pledge")[0]
    states = EXPECTED["card_replacement"]["holders"]
    for merchant in ("Netflix", "Spotify", "GEICO", "Namecheap"):
        line = next(x for x in moved.splitlines() if merchant.lower() in x.lower())
        assert states[merchant].split()[0] in line, line


def test_example_files_come_from_the_source_tree_or_the_package() -> None:
    files = service.example_files()
    assert [p.name for p in files] == sorted(EXPECTED["files"])
    assert all(p.is_file() and p.stat().st_size > 1000 for p in files)


def test_the_wheel_ships_the_statements_as_package_data() -> None:
    """`moneystory demo` from an installed wheel reads moneystory/examples_data/."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    source = next(src for src, dest in mapping.items() if dest == f"moneystory/{service.PACKAGED}")
    shipped = sorted(p.name for p in (root / source).iterdir())
    assert shipped, f"{source} is empty"
    # installed or editable, the demo finds exactly the files the wheel is built from
    assert [p.name for p in service.example_files()] == [
        name for name in shipped if name.endswith(service.SUFFIXES)
    ]
