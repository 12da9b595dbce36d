"""Screenshots of the review page, to look at: desktop and phone widths, plus a printed PDF.

Imports the bundled examples into a throwaway home, writes `review YEAR --html`, and has headless
Chromium take PNG screenshots (and a PDF, the print stylesheet) of it.

    python benchmarks/screenshot_review.py [--year 2023] [--out DIR]

The files go to a temporary folder unless --out says where (screenshots are not committed).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars")
SIZES = {"desktop": (1280, 3400), "phone": (400, 7600)}
PHONE_SLICE = 1800  # the whole phone page is too tall to look at: also shoot it in slices


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no chromium found: apt-get install chromium")


def moneystory(home: Path, *args: str) -> None:
    exe = Path(sys.executable).with_name("moneystory")
    subprocess.run([str(exe), "--home", str(home), *args], check=True,
                   stdout=subprocess.DEVNULL)


def shoot(page: Path, out: Path, profile: Path) -> None:
    for name, (width, height) in SIZES.items():
        png = out / f"review-{name}.png"
        subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile / name}",
                        f"--window-size={width},{height}", f"--screenshot={png}",
                        page.as_uri()], check=True, capture_output=True)
        print(f"{png}  ({width}x{height})")
    text = page.read_text(encoding="utf-8")
    for number in range(4):
        # a negative margin "scrolls" the page: headless screenshots always show the top
        shifted = out / f".phone-{number}.html"
        shifted.write_text(text.replace(
            "</style>", f"main{{margin-top:-{number * PHONE_SLICE}px}}</style>"), encoding="utf-8")
        png = out / f"review-phone-{number + 1}.png"
        subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile / f'slice{number}'}",
                        f"--window-size=400,{PHONE_SLICE}", f"--screenshot={png}",
                        shifted.as_uri()], check=True, capture_output=True)
        shifted.unlink()
        print(f"{png}  (400x{PHONE_SLICE}, from {number * PHONE_SLICE}px down)")
    pdf = out / "review-print.pdf"
    subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile / 'pdf'}",
                    f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
                   check=True, capture_output=True)
    print(f"{pdf}  ({pdf.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--out", type=Path,
                        default=Path(tempfile.gettempdir()) / "moneystory-review-shots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ms-shot-") as tmp:
        home = Path(tmp) / "home"
        statements = sorted((REPO / "examples" / "statements").glob("*"))
        moneystory(home, "import", *map(str, statements))
        page = args.out / f"review-{args.year}.html"
        started = time.perf_counter()
        moneystory(home, "review", str(args.year), "--html", str(page))
        print(f"{page}  ({page.stat().st_size // 1024} KB, "
              f"written in {time.perf_counter() - started:.2f} s)")
        shoot(page, args.out, Path(tmp) / "profile")


if __name__ == "__main__":
    main()
