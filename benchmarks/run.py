"""Run every benchmarks/bench_*.py and print their figures. Never fails on a time.

    python benchmarks/run.py [extra args passed to each benchmark]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if not scripts:
        print(f"no bench_*.py in {HERE}")
        return 0
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *sys.argv[1:]])
        print(f"   ({script.name} took {time.perf_counter() - started:.0f} s)", flush=True)
        if done.returncode != 0:
            failed.append(script.name)
    if failed:  # a benchmark that crashed is worth saying; a slow one never fails
        print(f"benchmarks that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
