"""Write docs/validation.md: what events cost in chipstress beside what was reported.

Usage::

    .venv/bin/python scripts/validation_table.py            # rewrite docs/validation.md
    .venv/bin/python scripts/validation_table.py --check    # fail if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from chipstress import load_builtin
from chipstress.workflows.hazards.outcomes import (
    BAND,
    OUTPUT_SHARE,
    median_ratio,
    validation_table,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation.md"

HEAD = """# Validation: what events cost, beside what was reported

Each catalogue event below is replayed on the built-in `tri-cluster` network
(`chipstress replay EVENT tri-cluster`) and the loss of the reporting company's sites is
compared with the figure it reported (`src/chipstress/workflows/hazards/data/outcomes.yaml`,
copied from the sourced facts table with its source). The compared component is chosen
like with like: a revenue hit made up in the next quarter is deferred revenue, so the
gross-margin hit (points × the revenue) is used instead, net of what the next quarter
gave back where the company said so; a loss after insurance is below chipstress's gross
loss; an event of 1999, when the company had a thirtieth of today's revenue and all its
fabs in Hsinchu, is compared on the share of output its Hsinchu fabs lost, not on money. Idle is the
fixed cost (depreciation, fixed labour) of the output the hit sites did not make
(docs/hazards.md, "Loss components"). Goal: every costed event within a factor of {band:g} of
its reported range, the median within a factor of 2, no event reported without loss
above 10 M USD. `tests/workflows/hazards/test_outcomes.py` recomputes this table and
fails when an event leaves its band (events still outside are strict expected failures,
listed there with the reason).

Regenerate with `.venv/bin/python scripts/validation_table.py`.

"""


def _money(value: float) -> str:
    return f"{value / 1e6:,.1f} M"


def render(table: pd.DataFrame) -> str:
    """The page: the table, then the basis and source of each figure."""
    lines = [HEAD.format(band=BAND)]
    lines.append(
        "| event | company | compared | reported (USD) | chipstress (USD) | ratio | within "
        "| BI | idle | scrap | damage | mitigation | total | sites hit |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in table.itertuples():
        value = _money(row.chipstress)
        if row.compare == "no production loss":
            reported, ratio = "no production loss", "—"
        elif row.compare == OUTPUT_SHARE:
            low, high = f"{row.reported_low:.0%}", f"{row.reported_high:.0%}"
            reported = f"{low}–{high} of output"
            value, ratio = f"{row.chipstress:.0%} of output", f"{row.ratio:.2f}"
        else:
            low, high = _money(row.reported_low), _money(row.reported_high)
            reported = low if row.reported_low == row.reported_high else f"{low}–{high}"
            ratio = f"{row.ratio:.2f}"
        lines.append(
            f"| {row.event} | {row.company} | {row.compare} | {reported} | "
            f"{value} | {ratio} | {'yes' if row.within_band else '**no**'} | "
            f"{_money(row.business_interruption)} | {_money(row.idle_capacity)} | "
            f"{_money(row.scrap)} | "
            f"{_money(row.damage)} | {_money(row.mitigation)} | {_money(row.total)} | "
            f"{row.sites_hit or '—'} |"
        )
    costed = table[table["compare"] != "no production loss"]
    lines.append("")
    lines.append(
        f"Costed events within a factor of {BAND:g}: {int(costed['within_band'].sum())} of "
        f"{len(costed)}; median factor {median_ratio(table):.2f}; events reported without "
        f"loss below their limit: {int(table.loc[table['compare'] == 'no production loss', 'within_band'].sum())}"
        f" of {int((table['compare'] == 'no production loss').sum())}."
    )
    lines.append("")
    lines.append("## The reported figures")
    lines.append("")
    for row in table.itertuples():
        lines.append(f"- **{row.event}** ({row.company}): {row.basis} Source: {row.source}")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the page is out of date")
    args = parser.parse_args()
    page = render(validation_table(load_builtin("tri-cluster")))
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != page:
            sys.exit(f"{DOC} is out of date: run scripts/validation_table.py")
        return
    DOC.write_text(page, encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
