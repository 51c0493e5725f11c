"""How fast the CLI answers: `watcher --help` against `python -c "import click"`, and `watcher diff`
of one page against a bare `trafilatura.extract` of the same page, each in a fresh interpreter.

Runs the commands interleaved (so other people's load hits both sides alike) and prints medians
and the two ratios. Goals from issue 10: --help within 3x of importing click, diff within 1.5x
of bare trafilatura.

    .venv/bin/python bench/cli_startup.py [--runs 15]      # ~30 s
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import ROOT, median, print_machine, table

PAGE = ROOT / "watcher" / "demo" / "site" / "term.html"
PY = sys.executable
CASES = {
    "import click": [PY, "-c", "import click"],
    "watcher --help": [PY, "-m", "watcher", "--help"],
    "watcher --version": [PY, "-m", "watcher", "--version"],
    "bare trafilatura": [
        PY,
        "-c",
        "import sys, trafilatura; trafilatura.extract(open(sys.argv[1], 'rb').read(), include_comments=False)",
        str(PAGE),
    ],
    "watcher diff page": [PY, "-m", "watcher", "-q", "diff", "--json", str(PAGE)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    print_machine()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for cmd in CASES.values():  # warm the file cache once
        subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)
    for _ in range(args.runs):
        for name, cmd in CASES.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)
            times[name].append(time.perf_counter() - start)
    med = {name: median(values) for name, values in times.items()}
    print(table([(name, f"{med[name] * 1000:.0f}") for name in CASES], ["command", "median ms"]))
    print(
        f"watcher --help / import click:       {med['watcher --help'] / med['import click']:.2f}x (goal <= 3)"
    )
    print(
        f"watcher diff / bare trafilatura:     {med['watcher diff page'] / med['bare trafilatura']:.2f}x "
        "(goal <= 1.5)"
    )


if __name__ == "__main__":
    main()
