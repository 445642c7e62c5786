"""Write the golden outputs of chipstress to ``tests/golden/data/`` (one CSV per table).

WHEN TO REGENERATE: never in a refactor — a refactor must reproduce these files, and
``test_golden.py`` checks that it does. Regenerate only when a change of the numbers
is intended, and explain that change (which cases, why) in CHANGELOG.md in the same
commit. When only the Python API moved, update ``cases.py`` instead.

Run it from the repository root with the code whose outputs are the reference::

    .venv/bin/python tests/golden/generate.py          # every case (refused if stored)
    .venv/bin/python tests/golden/generate.py --overwrite plan_tri_cluster  # replace some

Each case of :data:`cases.ALL_CASES` writes ``data/<case>__<table>.csv`` (floats with
17 significant digits, so they read back exactly); a case already stored is replaced
(its old files removed first) only with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # ``import cases`` when run as a script
    sys.path.insert(0, str(HERE))

from cases import ALL_CASES, DATA  # noqa: E402

FLOAT_FORMAT = "%.17g"


def write_case(name: str) -> list[Path]:
    """Compute one case and write its tables; returns the files written."""
    tables = ALL_CASES[name]()
    for old in DATA.glob(f"{name}__*.csv"):
        old.unlink()
    written = []
    for table, frame in tables.items():
        path = DATA / f"{name}__{table}.csv"
        frame.to_csv(path, index=False, float_format=FLOAT_FORMAT)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Regenerate the cases named on the command line (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="case", help=", ".join(ALL_CASES))
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the stored tables of the cases"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.cases if name not in ALL_CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}; cases: {', '.join(ALL_CASES)}")
    names = args.cases or list(ALL_CASES)
    stored = [name for name in names if any(DATA.glob(f"{name}__*.csv"))]
    if stored and not args.overwrite:
        parser.error(
            f"{len(stored)} cases are stored already ({', '.join(stored)}): "
            "regenerating them is for intended changes only (see the top of this file); "
            "pass --overwrite to do it"
        )
    import chipstress

    print(f"chipstress from {Path(chipstress.__file__).parent}")
    DATA.mkdir(exist_ok=True)
    total = 0
    for name in names:
        started = time.perf_counter()
        paths = write_case(name)
        size = sum(p.stat().st_size for p in paths)
        total += size
        print(
            f"{name}: {len(paths)} tables, {size / 1024:.1f} kB, {time.perf_counter() - started:.1f} s"
        )
    print(f"total {total / 1024:.1f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
