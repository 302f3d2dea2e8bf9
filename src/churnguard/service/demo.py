"""Build a demo workspace from the simulated company, through the same import path as users' files."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from churnguard.errors import WorkspaceError
from churnguard.schema import KINDS, TRUTH
from churnguard.service.imports import ImportOptions, ImportSummary, import_data
from churnguard.settings import SETTINGS_FILE
from churnguard.store import Workspace

# customers first, so later records find their details already there
IMPORT_ORDER = ("customers", "contracts", "transactions", "interactions", "complaints", "surveys",
                "churn-reasons", "wallet-estimates")

Step = Callable[[str], None]


@dataclass
class DemoOptions:
    """How big a company to simulate, and where to put it."""

    directory: Path = Path("demo")
    customers: int = 5000
    months: int = 24
    seed: int = 42
    replace: bool = False
    database_url: str | None = None
    language: str | None = None


@dataclass
class DemoResult:
    """What the demo built."""

    workspace: Path
    start: date
    end: date
    imports: list[ImportSummary]
    truth: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``churnguard demo --json``; ``data``: the rows imported per table."""
        data = [{"table": s.kind, "rows": s.rows_imported} for s in self.imports]
        return {
            "data": data,
            "count": len(data),
            "workspace": str(self.workspace),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": {s.kind: s.rows_imported for s in self.imports},
            "truth": self.truth,
            "seconds": self.seconds,
        }


def _prepare_dir(opts: DemoOptions) -> None:
    d = opts.directory
    if d.exists() and any(d.iterdir()):
        if not (d / SETTINGS_FILE).exists():
            raise WorkspaceError(f"{d}: folder exists and is not a workspace; choose another --dir")
        if not opts.replace:
            raise WorkspaceError(f"{d}: already a workspace; pass --replace to rebuild it")
        shutil.rmtree(d)


def build_demo(opts: DemoOptions, step: Step | None = None) -> DemoResult:
    """Simulate a company and import it into a fresh workspace in ``opts.directory``."""
    from churnguard.simulate import simulate

    say = step or (lambda _msg: None)
    _prepare_dir(opts)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    say(f"simulating {opts.customers:,} customers over {opts.months} months (seed {opts.seed})")
    sim = simulate(customers=opts.customers, months=opts.months, seed=opts.seed)
    seconds["simulate"] = round(time.perf_counter() - t0, 2)
    ws = Workspace.init(opts.directory, database_url=opts.database_url, language=opts.language)
    imports: list[ImportSummary] = []
    with ws:
        for kind in IMPORT_ORDER:
            frame = sim.tables[kind]
            say(f"importing {len(frame):,} {kind}")
            t = time.perf_counter()
            table = pa.Table.from_pandas(frame[KINDS[kind].column_names], preserve_index=False)
            summary = import_data(ws, ImportOptions(kind, frame=table, frame_name=f"simulator:{kind}"))
            if not summary.ok:  # the simulator must produce valid data; say exactly what is wrong
                raise WorkspaceError(f"simulated {kind} failed validation: {summary.errors[:3]}")
            imports.append(summary)
            seconds[f"import {kind}"] = round(time.perf_counter() - t, 2)
        ws.store.replace_rows(TRUTH, pa.Table.from_pandas(sim.truth[TRUTH.column_names], preserve_index=False))
    truth = sim.truth
    kinds = truth["churn_kind"].value_counts().to_dict()
    result = DemoResult(
        workspace=opts.directory,
        start=sim.start,
        end=sim.end,
        imports=imports,
        truth={
            "customers": int(len(truth)),
            "complete": int(kinds.get("complete", 0)),
            "partial": int(kinds.get("partial", 0)),
            "reasons": {str(k): int(v) for k, v in truth.loc[truth["churn_kind"] != "none", "churn_reason"].value_counts().items()},
        },
        seconds=seconds,
    )
    return result
