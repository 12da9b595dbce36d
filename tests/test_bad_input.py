"""Bad input: one clear sentence (what, where, what to do), non-zero exit, no traceback, and
the store byte-for-byte as it was (hashed before and after)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from moneystory.paths import resolve_home
from moneystory.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "store"
MARCH = FIXTURES / "chase_checking_march.csv"
APRIL = FIXTURES / "chase_checking_april.csv"

TRUNCATED_OFX = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n"
    "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<DTSERVER>20240301120000</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1"
    "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>000123456789"
    "<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240301<DTEND>20240331\n"
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240305<TRNAMT>-4.50<FITID>2024030501<NAME>STARBUC"
)
HTML_PAGE = (
    "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Session expired</title></head>\n"
    "<body><h1>Your session has expired</h1><p>Please sign in again.</p></body></html>\n"
)


def tree_digest(root: Path) -> str:
    """Every path, mode and byte under `root`: equal digests mean an unchanged store."""
    digest = hashlib.sha256()
    for path in sorted([root, *root.rglob("*")]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(oct(path.lstat().st_mode).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(name="filled")
def _filled(cli, home_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    """A home that already holds one import, so 'unchanged' has something to lose."""
    result = cli("import", str(MARCH))
    assert result.exit_code == 0, result.output
    return home_dir


def _refused(cli, home: Path, *args: str, expect: str) -> str:  # type: ignore[no-untyped-def]
    """Run an import that must fail; check the sentence, the exit code and the store."""
    before = tree_digest(home)
    result = cli("import", *args)
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr  # one sentence, on one line
    sentence = error_lines[0]
    assert expect.lower() in sentence.lower(), sentence
    assert sentence.rstrip().endswith("."), sentence
    assert tree_digest(home) == before, "the store changed"
    return sentence


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_an_empty_file(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "empty.csv", "")
    sentence = _refused(cli, filled, str(path), expect="empty")
    assert str(path) in sentence
    assert "download" in sentence.lower()  # what to do


def test_a_whitespace_only_file(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _refused(cli, filled, str(_write(tmp_path, "blank.csv", "\n\n  \n")), expect="empty")


def test_a_binary_file(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    noise = bytes(range(256)) * 16
    sentence = _refused(cli, filled, str(_write(tmp_path, "statement.csv", noise)),
                        expect="binary")
    assert "statement.csv" in sentence


def test_a_pdf_saved_as_csv(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "statement.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    _refused(cli, filled, str(path), expect="PDF")


def test_an_html_error_page_saved_as_csv(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "transactions.csv", HTML_PAGE)
    sentence = _refused(cli, filled, str(path), expect="web page")
    assert "download" in sentence


def test_a_csv_whose_columns_nothing_can_place(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "export.csv", "colour,size,weight\nred,L,3 kg\nblue,M,2 kg\n")
    sentence = _refused(cli, filled, str(path), expect="export.csv")
    assert "profile" in sentence  # says how to make it readable


def test_a_truncated_ofx(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "statement.ofx", TRUNCATED_OFX)
    sentence = _refused(cli, filled, str(path), expect="statement.ofx")
    assert any(word in sentence.lower() for word in ("cut off", "truncated", "incomplete",
                                                      "stops"))


def _bad_rows_file(tmp_path: Path) -> Path:
    lines = MARCH.read_text().splitlines()
    lines[4] = lines[4].replace("03/19/2024", "03/45/2024")  # file line 5: a date that is none
    lines[5] = lines[5].replace("-87.12", "-8x7.12")  # file line 6: an amount that is none
    return _write(tmp_path, "march_damaged.csv", "\n".join(lines) + "\n")


def test_rows_with_unreadable_dates_or_amounts_are_listed_and_the_rest_imported(
    cli_json, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    (body,) = cli_json("import", str(_bad_rows_file(tmp_path)))["imports"]
    rejected = {item["line"]: item["reason"] for item in body["rejected"]}
    assert sorted(rejected) == [5, 6]
    assert "03/45/2024" in rejected[5]
    assert "8x7.12" in rejected[6]
    assert body["added"] == 6
    assert len(cli_json("transactions")["transactions"]) == 6


def test_rejected_rows_in_the_terminal_name_their_lines(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", str(_bad_rows_file(tmp_path)))
    assert result.exit_code == 0
    assert "2 rejected" in result.stdout
    assert "line 5:" in result.stdout and "line 6:" in result.stdout


def test_strict_aborts_a_file_with_bad_rows(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _bad_rows_file(tmp_path)
    sentence = _refused(cli, filled, str(path), "--strict", expect=f"{path}:5")
    assert "--strict" in sentence


def test_a_file_that_cannot_be_read(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "locked.csv", MARCH.read_text())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reading (the folder and "
                        "dangling-link tests cover unreadable paths)")
        _refused(cli, filled, str(path), expect="permission")
    finally:
        path.chmod(0o600)


def test_a_path_that_is_a_folder(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "statements.csv"
    folder.mkdir()
    _refused(cli, filled, str(folder), expect="folder")


def test_a_dangling_link(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "gone.csv")
    _refused(cli, filled, str(link), expect="broken link")


def test_a_missing_file(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _refused(cli, filled, str(tmp_path / "nope.csv"), expect="no such file")


def test_a_store_folder_that_is_not_writable(cli, home_dir: Path) -> None:  # type: ignore[no-untyped-def]
    store = resolve_home(home_dir).store
    store.write_text("this should have been a folder")  # unwritable even for root
    sentence = _refused(cli, home_dir, str(MARCH), expect="cannot write to the store")
    assert "--home" in sentence


def test_a_home_that_is_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from moneystory.cli import app

    home = _write(tmp_path, "home", "a file, not a folder")
    result = CliRunner().invoke(app, ["--home", str(home), "import", str(MARCH)])
    assert result.exit_code == 1
    assert "cannot write to the store" in result.stderr
    assert home.read_text() == "a file, not a folder"


def test_a_read_only_store_when_not_root(cli, filled: Path) -> None:  # type: ignore[no-untyped-def]
    store = resolve_home(filled).store
    store.chmod(0o500)
    try:
        if os.access(store, os.W_OK):
            pytest.skip("running as root: a 0500 folder stays writable (the store-is-a-file "
                        "test covers this case)")
        _refused(cli, filled, str(APRIL), expect="cannot write to the store")
    finally:
        store.chmod(0o700)


def test_a_second_import_while_one_runs(  # type: ignore[no-untyped-def]
    cli, filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONEYSTORY_LOCK_TIMEOUT", "0.3")
    with Store(resolve_home(filled)).writing("import held-by-the-test.csv"):
        sentence = _refused(cli, filled, str(APRIL), expect="another moneystory is writing")
    assert f"process {os.getpid()}" in sentence
    assert "import held-by-the-test.csv" in sentence
    assert "since" in sentence
    assert "wait" in sentence.lower()
    result = cli("import", str(APRIL))  # and once it is free, the import goes in
    assert result.exit_code == 0, result.output


def test_a_bad_file_among_good_ones(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = _write(tmp_path, "empty.csv", "")
    result = cli("import", str(empty), str(MARCH), "--json")
    assert result.exit_code == 1
    bad, good = json.loads(result.stdout)["imports"]
    assert "empty" in bad["error"] and bad["import_id"] is None
    assert good["added"] == 8
