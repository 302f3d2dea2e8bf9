"""Typed columns for the simulated tables, built without per-row Python.

Strings are pandas ``string[pyarrow]`` arrays (missing = ``pd.NA``), dates are
``datetime64[ns]`` at midnight (missing = ``NaT``), numbers ``float64`` / ``int64``.
Arrow's compute kernels build millions of ids and labels in C, which is what keeps the
1-million-customer simulation within minutes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")


def _wrap(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.ArrowStringArray(pa.chunked_array([arr.cast(pa.string())]))


def labels(codes: np.ndarray, names: tuple | list | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return ``names[codes]`` as strings; a negative code gives a missing value."""
    codes = np.asarray(codes)
    missing = codes < 0
    idx = pa.array(np.where(missing, 0, codes).astype(np.int32), mask=missing)
    return _wrap(pa.DictionaryArray.from_arrays(idx, pa.array(list(names), pa.string())))


def ids(prefix: str, numbers: np.ndarray, width: int, missing: np.ndarray | None = None):
    """Return ``prefix`` + zero-padded ``numbers`` (``ids("C", [7], 7)`` → ``C0000007``)."""
    text = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width, padding="0")
    out = pc.binary_join_element_wise(pa.scalar(prefix), text, "")
    if missing is not None:
        out = pc.if_else(pa.array(np.asarray(missing, bool)), pa.scalar(None, pa.string()), out)
    return _wrap(out)


def take(strings, index: np.ndarray):
    """Return ``strings[index]`` (an Arrow-backed string array) without leaving Arrow."""
    arr = strings._pa_array if hasattr(strings, "_pa_array") else pa.chunked_array([strings])
    return _wrap(arr.take(pa.array(np.asarray(index, dtype=np.int64))).combine_chunks())


def join(*parts) -> pd.api.extensions.ExtensionArray:
    """Concatenate string arrays (or scalars) element-wise."""
    arrs = [
        p._pa_array.combine_chunks().cast(pa.string()) if hasattr(p, "_pa_array") else pa.scalar(p, pa.string())
        for p in parts
    ]
    return _wrap(pc.binary_join_element_wise(*arrs, pa.scalar("", pa.string())))


def dates(start: dt.date, days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Return day offsets from ``start`` as ``datetime64[ns]``; ``missing`` rows become NaT."""
    out = (np.datetime64(start, "D") + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")).astype(
        "datetime64[ns]"
    )
    if missing is not None:
        out[np.asarray(missing, bool)] = np.datetime64("NaT")
    return out


def frame(columns: list[str], data: dict) -> pd.DataFrame:
    """Build a DataFrame with exactly ``columns`` in order (a missing key is an error)."""
    return pd.DataFrame({c: data[c] for c in columns})
