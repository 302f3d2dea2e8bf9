"""Stored figures: what the pages, the API and the report show, computed once per data version.

Churn rate, cohorts or retention read every transaction: seconds on a million customers, far
too slow for a page. :func:`figure` keeps each result's JSON in the workspace
(``.cache/results/``) under a key made of the use case, its options and the *data version*
(:func:`data_version`):

- the import log (how many imports, the latest one);
- the dated snapshots ``churnguard run`` writes (for each: rows, first and last date);
- the settings that change a figure (everything but the ``web`` section);
- the code that computes figures (a hash of the compute, service and store sources).

A new import, a new run or a changed setting makes a new version, so a stale figure is never
read; the files of older versions are removed when a newer one is written. The pipeline is a
function of (data, settings, as-of date), so a stored figure is exactly what computing it again
would answer (the tests compare the API with the CLI's ``--json``, which always computes).

A rewrite of one snapshot date with the same number of rows (``churnguard run`` again on the
same date, data and settings) is not seen as a change: it produces the same rows.

Examples
--------
>>> stored = figure(ws, "churn-rate", {"period": "quarter"})     # doctest: +SKIP
>>> stored.data["definition"]["as_of"], stored.cached           # doctest: +SKIP
('2026-09-30', True)
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import hashlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from churnguard.errors import InputError
from churnguard.service.context import Context
from churnguard.service.jsonable import jsonable
from churnguard.service.result_files import Stored, bound, read_stored, write_stored
from churnguard.store import Workspace
from churnguard.store.snapshots import snapshot_names as stored_snapshot_names
from churnguard.store.snapshots import stored_state

CACHE_DIR = Path(".cache") / "results"


@dataclass(frozen=True)
class Figure:
    """A use case whose result can be stored: ``compute(ctx, options_type(**options))``."""

    compute: Callable[[Context, Any], Any]
    options_type: type


@dataclass
class NoOptions:
    """Options of a use case that takes nothing but its context."""


_FIGURES: dict[str, Figure] = {}
#: False while a figure is computed with ``use_cache=False``: figures made of other figures
#: then compute those afresh too
_USING_STORE: contextvars.ContextVar[bool] = contextvars.ContextVar("using_store", default=True)


def register(name: str, compute: Callable[[Context, Any], Any], options_type: type = NoOptions) -> None:
    """Make ``compute`` a stored figure called ``name``.

    ``compute(ctx, options)`` takes the context and one options dataclass and returns a result
    with ``to_dict()``. Options are keyed by their full value (defaults included) and the as-of
    date asked for, so ``{}`` and ``{"period": "quarter"}`` are the same stored figure when
    quarter is the default.
    """
    _FIGURES[name] = Figure(compute, options_type)


def figure_names() -> list[str]:
    """Every registered figure."""
    _register_defaults()
    return sorted(_FIGURES)


# -- the data version --------------------------------------------------------------------
@functools.cache
def code_fingerprint() -> str:
    """Hash of the sources that compute figures (read once per process)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("compute", "service", "store"):
        for path in sorted((root / sub).rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _settings_fingerprint(ws: Workspace) -> str:
    values = ws.settings.model_dump(mode="json", exclude={"web"})
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def snapshot_names(ws: Workspace) -> list[str]:
    """Names of the snapshots stored in the workspace (``value``, ``scores`` …)."""
    return stored_snapshot_names(ws.store)


_version_memo: dict[str, tuple[Any, str]] = {}  # workspace path -> (stamp, version), process-wide


def data_version(ws: Workspace) -> str:
    """A short hash that changes whenever the figures of ``ws`` may change (see the module notes).

    On DuckDB the version is kept while the database file and its log stay as they were (a
    few ``stat`` calls instead of queries: the pages ask for it on every request).
    """
    stamp = ws.store.file_stamp()  # None on PostgreSQL
    if stamp is not None:
        stamp = (stamp, _settings_fingerprint(ws), code_fingerprint())
        memo = _version_memo.get(str(ws.path.resolve()))
        if memo is not None and memo[0] == stamp:
            return memo[1]
    version = _query_version(ws)
    if stamp is not None:
        _version_memo[str(ws.path.resolve())] = (stamp, version)
    return version


def _query_version(ws: Workspace) -> str:
    rows = stored_state(ws.store)
    state = [code_fingerprint(), _settings_fingerprint(ws), sorted((str(r[0]), *map(str, r[1:])) for r in rows)]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:20]


# -- stored results ------------------------------------------------------------------------
_locks: dict[str, threading.Lock] = {}  # one computation per figure at a time, process-wide
_locks_guard = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _key(name: str, opts: Any, as_of: date | None) -> str:
    values = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)}
    values["as_of"] = as_of
    text = json.dumps(values, sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def figure(ctx: Context, name: str, options: dict[str, Any] | None = None, *, use_cache: bool = True,
           version: str | None = None) -> Stored:
    """The figure ``name`` with ``options``: read from the store of figures, else computed and stored.

    Parameters
    ----------
    ctx : Context
        The open workspace (its data version is read from it).
    name : str
        A registered figure (:func:`figure_names`): ``churn-rate``, ``cohorts`` …
    options : dict
        Keyword arguments of the figure's use case (``{"period": "month"}``), and ``as_of``:
        the date of knowledge (default: the context's).
    use_cache : bool
        False computes afresh and stores nothing (the setting ``web.cache_results``).
    version : str, optional
        The data version when the caller has it already.
    """
    _register_defaults()
    if name not in _FIGURES:
        raise InputError(f"no figure {name!r}; known: {', '.join(sorted(_FIGURES))}")
    fig = _FIGURES[name]
    options = dict(options or {})
    if "as_of" in options:
        ctx = ctx.with_as_of(options.pop("as_of"))
    try:
        opts = fig.options_type(**options)
    except TypeError as exc:  # a caller's mistake, named
        raise InputError(f"figure {name!r}: {exc}") from None
    ws = ctx.workspace
    if not use_cache:
        token = _USING_STORE.set(False)
        try:
            return _compute(ctx, name, fig, opts, version or "")
        finally:
            _USING_STORE.reset(token)
    version = version or data_version(ws)
    path = ws.path / CACHE_DIR / version / f"{_key(name, opts, ctx.as_of_given)}.json"
    stored = read_stored(path, name, version)
    if stored is not None:
        return stored
    with _lock(str(path)):
        stored = read_stored(path, name, version)  # another request may have computed it meanwhile
        if stored is not None:
            return stored
        stored = _compute(ctx, name, fig, opts, version)
        write_stored(path, stored)
        bound(path.parent, int(ws.settings.web.cache_max_mb * 1_000_000), keep=path)
        return stored


def _compute(ctx: Context, name: str, fig: Figure, opts: Any, version: str) -> Stored:
    t0 = time.perf_counter()
    result = fig.compute(ctx, opts)
    body = json.dumps(jsonable(result), ensure_ascii=False, separators=(",", ":")).encode()
    seconds = round(time.perf_counter() - t0, 3)
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    return Stored(name, body, now, seconds, False, version)


def clear(ws: Workspace) -> int:
    """Remove every stored figure of ``ws``; return how many files went."""
    root = ws.path / CACHE_DIR
    n = sum(1 for _ in root.rglob("*.json")) if root.exists() else 0
    shutil.rmtree(root, ignore_errors=True)
    return n


#: What the pages open with: computed by :func:`refresh` so the first visitor does not wait.
DEFAULT_FIGURES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("status", {}),
    ("churn-rate", {"period": "quarter", "basis": "customers"}),
    ("churn-rate", {"period": "quarter", "basis": "value"}),
    ("retention", {"period": "quarter", "basis": "value"}),
    ("price-volume", {"period": "quarter"}),
    ("overview", {}),  # made of the figures above
    ("cohorts", {"period": "month", "basis": "customers"}),
)


@dataclass
class RefreshResult:
    """What :func:`refresh` stored: ``{"version", "figures": [{name, options, seconds, cached}]}``."""

    version: str
    figures: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``churnguard refresh --json``."""
        return {"data": self.figures, "count": len(self.figures), "version": self.version, "figures": self.figures}


def refresh(ctx: Context, figures: Iterable[tuple[str, dict[str, Any]]] = DEFAULT_FIGURES,
            step: Callable[[str], None] | None = None) -> RefreshResult:
    """Compute and store ``figures`` for the current data version (those stored already are kept)."""
    from churnguard.errors import ChurnguardError

    say = step or (lambda _m: None)
    version = data_version(ctx.workspace)
    done = []
    for name, options in figures:
        say(f"{name} {options or ''}".strip())
        try:
            s = figure(ctx, name, options, version=version)
        except ChurnguardError as exc:  # e.g. no contracts for a recurring basis: nothing to store
            done.append({"name": name, "options": options, "error": str(exc)})
            continue
        done.append({"name": name, "options": options, "seconds": s.seconds, "cached": s.cached})
    return RefreshResult(version, done)


@functools.cache
def _register_defaults() -> None:
    from churnguard.service import measure, overview, threshold, workspace

    register("status", lambda ctx, _o: workspace.status_of(ctx.workspace))
    register("imports", lambda ctx, o: workspace.recent_imports(ctx.workspace, limit=o.limit, kind=o.kind),
             workspace.ImportsOptions)
    register("churn-rate", measure.churn_rate, measure.ChurnRateOptions)
    register("threshold", threshold.threshold, threshold.ThresholdOptions)
    register("cohorts", measure.cohorts, measure.CohortsOptions)
    register("retention", measure.retention, measure.RetentionOptions)
    register("price-volume", measure.price_volume, measure.PriceVolumeOptions)

    def overview_of_stored(ctx: Context, opts: overview.OverviewOptions) -> Any:
        # the overview repeats other figures: read them stored (computing any that is not)
        if not _USING_STORE.get():
            return overview.overview(ctx, opts)
        version = data_version(ctx.workspace)
        return overview.overview(ctx, opts, lambda name, o: figure(ctx, name, o, version=version).data)

    register("overview", overview_of_stored, overview.OverviewOptions)
