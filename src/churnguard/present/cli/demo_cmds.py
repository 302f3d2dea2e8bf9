"""The demo command: a simulated company in a fresh workspace, and a short summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from churnguard.present.cli.common import JsonOpt, console, err_console, handle_errors, print_json
from churnguard.service.demo import DemoOptions, build_demo


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("demo")
    @handle_errors
    def demo(
        directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo workspace.")] = Path("demo"),
        customers: Annotated[int, typer.Option("--customers", min=10, help="Customers to simulate.")] = 5000,
        months: Annotated[int, typer.Option("--months", min=3, max=120, help="Months of history.")] = 24,
        seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data.")] = 42,
        replace: Annotated[bool, typer.Option("--replace", help="Rebuild the folder if it is already a workspace.")] = False,
        database: Annotated[str | None, typer.Option("--database", help="Database URL (default: DuckDB file).")] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Build a demo workspace from a simulated company with known ground truth.

        The simulator is just another source: its tables go through the same validation and
        load as your files; its ground truth (who churned, when, why) goes to a separate
        'truth' table that analyses never read.

        Example: churnguard demo --dir demo --customers 20000 --seed 7
        """
        opts = DemoOptions(directory, customers, months, seed, replace, database)
        with err_console.status("building the demo") as status:
            result = build_demo(opts, step=lambda msg: status.update(msg))
        if json_out:
            print_json(result)
            return
        d = result.to_dict()
        console.print(f"[bold]demo workspace[/] {d['workspace']}: {d['start']} … {d['end']}")
        t = RichTable(show_header=True)
        t.add_column("table")
        t.add_column("rows", justify="right")
        for kind, n in d["rows"].items():
            t.add_row(kind, f"{n:,}")
        console.print(t)
        tr = d["truth"]
        console.print(
            f"ground truth: {tr['customers']:,} customers, {tr['complete']:,} complete and "
            f"{tr['partial']:,} partial defectors; reasons: "
            + ", ".join(f"{k} {v:,}" for k, v in tr["reasons"].items())
        )
        _print_summary(directory)
        console.print(f"next: churnguard status -w {d['workspace']}")


def _print_summary(directory: Path) -> None:
    """What exists of the pipeline, on the demo: the churn-rate trend, …"""
    from churnguard.present.cli.measure_cmds import print_trend
    from churnguard.service import measure

    rates = measure.churn_rate(measure.ChurnRateOptions(workspace=directory)).to_dict()
    console.print()
    # quarters too close to the start of the simulated history undercount churn: leave them out
    print_trend([r for r in rates["data"] if r.get("history_complete", True)][-8:], "quarter")
    nc = rates["definition"].get("non_contractual", {})
    console.print(f"  (customers lost in the quarter ÷ customers at its start; non-contractual threshold: "
                  f"{nc.get('threshold_source', nc.get('threshold_days'))})", highlight=False)
