"""Network commands: ``validate``, ``info``, ``convert``, ``export``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chipstress.errors import InvalidInput, InvalidNetwork
from chipstress.interfaces.cli._common import (
    console,
    error_console,
    fail_on_bad_input,
    load_network,
    print_problems,
    step,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import JustifyMethod
    from rich.table import Table

    from chipstress.model import Network

__all__ = ["convert", "export", "generate", "info", "network_summary_tables", "validate"]


class TableFormat(StrEnum):
    """Table format of a network folder."""

    csv = "csv"
    parquet = "parquet"


NetworkArg = Annotated[
    str,
    typer.Argument(
        help="Network folder, .yaml or reference .json file, or a built-in name (tri-cluster)."
    ),
]


def validate(network: NetworkArg) -> None:
    """Check a network and print every problem (exit 1), or a one-line summary (exit 0)."""
    from chipstress.model import read_network

    with fail_on_bad_input():
        try:
            loaded = step(f"Validating {network}", lambda: read_network(network))
        except InvalidNetwork as error:
            print_problems(error)
            raise typer.Exit(1) from None
        console.print(f"[green]✓[/green] valid: {loaded.summary()}")


def network_summary_tables(network: Network) -> list[Table]:
    """Rich tables summarising a network: kinds by cluster, materials, single-sourced lines."""
    return [
        _kinds_table(network.nodes),
        _products_table(network),
        _materials_table(network),
        _single_sourced_table(network),
    ]


def _kinds_table(nodes: pd.DataFrame) -> Table:
    import pandas as pd
    from rich.table import Table

    kinds_present = sorted(nodes["kind"].unique())
    by_cluster = pd.crosstab(nodes["cluster"].replace("", "(none)"), nodes["kind"])
    kinds = Table(title="Nodes by cluster and kind", show_footer=True)
    kinds.add_column("cluster", footer="total")
    for kind in kinds_present:
        kinds.add_column(kind, justify="right", footer=str(int(by_cluster[kind].sum())))
    kinds.add_column("total", justify="right", footer=str(len(nodes)))
    for cluster, row in by_cluster.iterrows():
        cells = [str(int(row[k])) if row[k] else "" for k in kinds_present]
        kinds.add_row(str(cluster), *cells, str(int(row.sum())))
    return kinds


def _add_columns(table: Table, columns: tuple[tuple[str, JustifyMethod], ...]) -> None:
    for column, justify in columns:
        table.add_column(column, justify=justify)


def _materials_table(network: Network) -> Table:
    import pandas as pd
    from rich.table import Table

    idx = network.index
    supplier_material = pd.Series(idx.materials[idx.node_material], index=network.nodes["id"])
    makers = supplier_material.value_counts()
    users = network.bom.groupby("material")["node"].nunique()
    materials = Table(title=f"Materials ({len(idx.materials)}), fewest suppliers first")
    _add_columns(
        materials,
        (("material", "left"), ("unit", "left"), ("suppliers", "right"), ("used by", "right")),
    )
    units = {m: info.get("unit", "") for m, info in network.meta.materials.items()}
    listing = pd.DataFrame(
        {
            "suppliers": makers.reindex(idx.materials, fill_value=0),
            "users": users.reindex(idx.materials, fill_value=0),
        }
    ).sort_values(["suppliers", "users"], ascending=[True, False], kind="stable")
    for material, row in listing.head(40).iterrows():
        materials.add_row(
            str(material),
            units.get(str(material), ""),
            str(int(row["suppliers"])),
            str(int(row["users"])),
        )
    if len(listing) > 40:
        materials.add_row(f"... {len(listing) - 40} more", "", "", "")
    return materials


def _single_sourced_table(network: Network) -> Table:
    from rich.table import Table

    single = network.single_sourced()
    singles = Table(title=f"Single-sourced BOM lines ({len(single)}: one supplier can fill them)")
    for column in ("node", "material", "only supplier"):
        singles.add_column(column)
    for line in single.head(40).itertuples(index=False):
        singles.add_row(str(line.node), str(line.material), str(line.supplier))
    if len(single) > 40:
        singles.add_row(f"... {len(single) - 40} more", "", "")
    return singles


def _products_table(network: Network) -> Table:
    from rich.table import Table

    products = Table(title="End products (nodes with demand)")
    _add_columns(
        products,
        (
            ("node", "left"),
            ("cluster", "left"),
            ("material", "left"),
            (f"demand/{network.meta.period}", "right"),
            ("margin", "right"),
        ),
    )
    demand_rows = network.nodes[network.index.has_demand]
    for node in demand_rows.head(40).itertuples(index=False):
        products.add_row(
            str(node.id),
            str(node.cluster),
            str(node.material),
            f"{node.demand:,.6g}",
            f"{node.margin:,.6g}",
        )
    if len(demand_rows) > 40:
        products.add_row(f"... {len(demand_rows) - 40} more", "", "", "", "")
    return products


def info(network: NetworkArg) -> None:
    """Summarise a network: nodes by kind and cluster, products, materials, single-sourced lines."""
    with fail_on_bad_input():
        loaded = load_network(network)
        console.print(f"[bold]{loaded.summary()}[/bold]")
        if loaded.meta.description:
            console.print(loaded.meta.description, markup=False)
        for table in network_summary_tables(loaded):
            console.print(table)


def convert(
    source: NetworkArg,
    destination: Annotated[
        Path,
        typer.Argument(
            help="Where to write: a folder (native tables), a .yaml, .json (reference) or .graphml file."
        ),
    ],
    table_format: Annotated[
        TableFormat | None,
        typer.Option(
            "--table-format",
            "-t",
            help="Table format of a destination folder: csv (default) or parquet.",
        ),
    ] = None,
) -> None:
    """Convert a network between formats (folder of CSV or Parquet tables, YAML, reference JSON)."""
    from chipstress.model import write_network
    from chipstress.model.io import detect_write_format

    tables = table_format.value if table_format is not None else None
    try:
        fmt = detect_write_format(destination, tables)
    except InvalidInput as error:  # the arguments do not fit together: a usage error
        raise typer.BadParameter(
            str(error), param_hint="'DESTINATION' / '--table-format'"
        ) from None
    with fail_on_bad_input():
        loaded = load_network(source)
        try:
            dropped = step(
                f"Writing {destination}", lambda: write_network(loaded, destination, tables)
            )
        except InvalidInput as error:
            if fmt != "json":
                raise
            raise InvalidInput(
                f"{error}. Nothing was written to {destination}. The reference format has one "
                "kind of seller of end products (tier 1, no customers); every network fits a "
                f"folder or a .yaml file: chipstress convert {source} "
                f"{destination.with_suffix('.yaml')}"
            ) from None
        if dropped:
            error_console.print(
                f"note: the reference JSON format has no place for: {', '.join(dropped)} (not written)"
            )
        console.print(f"[green]✓[/green] wrote {destination} ({fmt}): {loaded.summary()}")


def export(
    network: NetworkArg,
    graphml: Annotated[
        Path, typer.Option("--graphml", help="Write the supply graph as GraphML to this file.")
    ],
) -> None:
    """Export the supply graph (GraphML for Gephi, yEd or Cytoscape)."""
    from chipstress.model.io import write_graphml

    with fail_on_bad_input():
        loaded = load_network(network)
        step(f"Writing {graphml}", lambda: write_graphml(loaded, graphml))
        console.print(
            f"[green]✓[/green] wrote {graphml}: {loaded.n_nodes} nodes, {len(loaded.sources)} edges"
        )


def generate(
    nodes: Annotated[int, typer.Option("--nodes", "-n", min=1, help="Total number of nodes.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write: a folder, .yaml or .json.")
    ],
    tiers: Annotated[
        int, typer.Option("--tiers", "-k", min=2, max=20, help="Number of tiers.")
    ] = 5,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed (same seed, same network).")
    ] = 0,
    table_format: Annotated[
        TableFormat | None,
        typer.Option("--table-format", "-t", help="Tables of a folder: csv or parquet."),
    ] = None,
    validate_network: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate", help="Run the full validation (slower for millions)."
        ),
    ] = True,
) -> None:
    """Generate a synthetic multi-tier network (tiers, material groups, 1-3 sources, sectors)."""
    from chipstress.model import write_network
    from chipstress.model.generate import generate_network
    from chipstress.model.io import detect_write_format

    with fail_on_bad_input():
        chosen = None if table_format is None else table_format.value
        fmt = detect_write_format(out, chosen)
        network = step(
            f"Generating {nodes:,} nodes",
            lambda: generate_network(nodes, tiers=tiers, seed=seed, validate=validate_network),
        )
        step(f"Writing {out}", lambda: write_network(network, out, chosen))
        console.print(f"[green]✓[/green] wrote {out} ({fmt}): {network.summary()}")
