"""``python -m benchmarks [--smoke] [--json PATH] [--case NAME ...]``: the benchmark suite.

Prints a table of medians and ratios (typedmodel / reference, measured in this run and process)
and writes the figures as JSON. The full run takes a few minutes; ``--smoke`` runs every case
on tiny data in seconds (the test suite uses it so the benchmarks can't rot).
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.suite import CASES, run, table, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write JSON")
    parser.add_argument("--case", action="append", choices=CASES, help="run only these cases")
    args = parser.parse_args(argv)
    report = run("smoke" if args.smoke else "full", only=set(args.case) if args.case else None)
    print(table(report))
    write_json(report, args.json)
    print(f"\nwritten to {args.json}")
    missed = [r["case"] for r in report["results"] if r["met"] is False]
    if missed and not args.smoke:
        print(f"targets missed: {missed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
