"""Read a user's data into an Arrow table, as it is, with the line each row came from.

Values are not interpreted here (that is :mod:`churnguard.ingest.checks`); readers only
find the encoding, the delimiter, the header and the rows, and add a ``_line`` column so every
error can name its line (CSV: header on line 1, first record on line 2; Excel: the sheet's row;
Parquet, data frames and queries: the row number, from 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from churnguard.errors import InputError

LINE = "_line"
Progress = Callable[[int, int], None]  # (done, total) in bytes or rows


@dataclass
class RawData:
    """Rows as read from one source, before any value is interpreted."""

    name: str
    table: pa.Table  # the source's columns plus _line
    encoding: str | None
    headers: list[str]


# -- encodings ----------------------------------------------------------------------------
ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "utf8": "utf-8",
                    "utf-8-bom": "utf-8-sig", "utf8-sig": "utf-8-sig"}


def detect_encoding(path: Path, sample_size: int = 1 << 20) -> str:
    """Tell UTF-8 (with or without BOM), UTF-16 and GBK/GB18030 apart from the first MiB.

    GB18030 is a superset of GBK and GB2312, so it reads all three.
    """
    with open(path, "rb") as f:
        head = f.read(sample_size)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=len(head) < sample_size)
            return enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{path}: cannot tell the file's encoding (not UTF-8 or GBK/GB18030); "
        "pass --encoding ENC (for example --encoding big5)"
    )


def normalise_encoding(encoding: str) -> str:
    """Canonical Python codec name for ``encoding``, with a clear error for an unknown one."""
    enc = ENCODING_ALIASES.get(encoding.lower().replace("_", "-"), encoding)
    try:
        return codecs.lookup(enc).name if enc not in ("utf-8-sig",) else enc
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; try utf-8, utf-8-sig, gbk or gb18030") from None


# -- CSV ----------------------------------------------------------------------------------
def _read_header(path: Path, encoding: str) -> tuple[list[str], str]:
    with open(path, encoding=encoding, newline="") as f:
        first = f.readline()
    if not first.strip():
        raise InputError(f"{path}: the file is empty or its first line is blank; the first line must be the header")
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        delimiter = ","
    headers = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    seen: set[str] = set()
    for i, h in enumerate(headers, start=1):
        if not h:
            raise InputError(f"{path}:1: column {i} has an empty header; give every column a name")
        if h in seen:
            raise InputError(f"{path}:1: header {h!r} appears twice; rename one of them")
        seen.add(h)
    return headers, delimiter


def read_csv(path: Path, encoding: str | None = None, progress: Progress | None = None) -> RawData:
    """Read a delimited text file (comma, tab, semicolon or bar) with every value as text."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    enc = normalise_encoding(encoding) if encoding else detect_encoding(path)
    try:
        headers, delimiter = _read_header(path, enc)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}:1: the header is not valid {enc}: {exc.reason}; pass --encoding") from None
    size = path.stat().st_size
    # pyarrow reads UTF-8 natively and strips a UTF-8 BOM; other encodings are transcoded
    # block by block as they stream in.
    pa_enc = "utf8" if enc in ("utf-8", "utf-8-sig") else enc
    read_opts = pacsv.ReadOptions(encoding=pa_enc, block_size=8 << 20, column_names=headers, skip_rows=1)
    parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    convert_opts = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in headers}, strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    batches = []
    rows = 0
    with pa.OSFile(str(path), "rb") as raw:
        try:
            reader = pacsv.open_csv(raw, read_options=read_opts, parse_options=parse_opts,
                                    convert_options=convert_opts)
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                if progress:
                    progress(min(raw.tell(), size), size)
        except pa.ArrowInvalid as exc:
            raise InputError(f"{path}: {_csv_error(str(exc), rows)}") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not valid {enc} after about {rows:,} rows ({exc.reason}); "
                "pass --encoding with the right encoding (gbk, gb18030, utf-8)"
            ) from None
    if progress:
        progress(size, size)
    schema = pa.schema([(h, pa.string()) for h in headers])
    table = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    table = table.append_column(LINE, pa.array(range(2, table.num_rows + 2), pa.int64()))
    return RawData(str(path), table, "gbk/gb18030" if enc == "gb18030" else enc, headers)


def _csv_error(message: str, rows_before: int) -> str:
    msg = message.replace("CSV parse error: ", "")
    if "Expected" in msg and "columns" in msg:
        return f"a row has the wrong number of columns ({msg.splitlines()[0]}), after about {rows_before:,} good rows"
    return msg.splitlines()[0]


# -- Excel --------------------------------------------------------------------------------
def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_excel(path: Path, sheet: str | None = None, progress: Progress | None = None) -> RawData:
    """Read the first (or the named) sheet of an .xlsx workbook; the first non-empty row is the header.

    A truncated or damaged workbook, or one whose XML declares entities (an "XML bomb"; refused
    by defusedxml, which openpyxl uses when it is installed), is an :class:`InputError` naming
    the file, whether the damage shows when it is opened or halfway through the sheet.
    """
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # what a damaged or hostile workbook raises while it is read (defusedxml's refusals are ValueErrors)
    unreadable = (InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError,
                  ValueError, ParseError)

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except unreadable as exc:
        raise InputError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        total = ws.max_row or 0
        headers: list[str] | None = None
        columns: list[list[str | None]] = []
        lines: list[int] = []
        for rowno, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if headers is None:
                if all(v is None or str(v).strip() == "" for v in row):
                    continue
                headers = [str(v).strip() if v is not None else "" for v in row]
                while headers and headers[-1] == "":
                    headers.pop()
                for i, h in enumerate(headers, start=1):
                    if not h:
                        raise InputError(f"{path}:{rowno}: column {i} has an empty header")
                if len(set(headers)) != len(headers):
                    dup = next(h for h in headers if headers.count(h) > 1)
                    raise InputError(f"{path}:{rowno}: header {dup!r} appears twice; rename one of them")
                columns = [[] for _ in headers]
                continue
            values = [_cell_text(v) for v in row[: len(headers)]]
            if all(v is None or v.strip() == "" for v in values):
                continue
            values += [None] * (len(headers) - len(values))
            for col, v in zip(columns, values, strict=True):
                col.append(v)
            lines.append(rowno)
            if progress and rowno % 10_000 == 0:
                progress(rowno, total)
    except unreadable as exc:
        raise InputError(f"{path}: not a readable .xlsx workbook; it may be cut short or damaged "
                         f"({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    if headers is None:
        raise InputError(f"{path}: the sheet is empty")
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(headers, columns, strict=True)})
    table = table.append_column(LINE, pa.array(lines, pa.int64()))
    if progress:
        progress(total, total)
    return RawData(str(path), table, None, headers)


# -- Parquet, frames, queries --------------------------------------------------------------
def from_arrow(name: str, table: pa.Table) -> RawData:
    """Wrap an Arrow table (any column types) as a source; rows are numbered from 1."""
    if LINE in table.column_names:
        table = table.drop_columns([LINE])
    table = table.append_column(LINE, pa.array(range(1, table.num_rows + 1), pa.int64()))
    return RawData(name, table, None, [c for c in table.column_names if c != LINE])


def read_parquet(path: Path) -> RawData:
    """Read a Parquet file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    return from_arrow(str(path), table)


def read_query(source_url: str, query: str) -> RawData:
    """Run ``query`` on an existing database and read its rows.

    ``source_url``: ``postgresql://…``, ``mysql://…`` (MySQL/MariaDB, via PyMySQL),
    ``sqlite:///file.db`` or ``duckdb:///file.duckdb``. The query is sent as written, with no
    parameters: it is the user's own SQL against the user's own database.
    """
    p = urlparse(source_url)
    scheme = p.scheme.split("+")[0]
    name = f"query on {p.scheme}://{p.hostname or ''}{p.path}"
    try:
        if scheme in ("postgres", "postgresql"):
            import psycopg

            conn: Any = psycopg.connect(
                host=p.hostname or "127.0.0.1", port=p.port or 5432, user=unquote(p.username or "postgres"),
                password=unquote(p.password) if p.password else None, dbname=p.path.lstrip("/") or "postgres",
            )
        elif scheme in ("mysql", "mariadb"):
            import pymysql

            conn = pymysql.connect(
                host=p.hostname or "127.0.0.1", port=p.port or 3306, user=unquote(p.username or "root"),
                password=unquote(p.password or ""), database=p.path.lstrip("/") or None, charset="utf8mb4",
            )
        elif scheme == "sqlite":
            import sqlite3

            path = unquote(p.path[1:] if source_url.startswith("sqlite:///") else p.path)
            if not Path(path).exists():
                raise InputError(f"{source_url}: no such SQLite file")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        elif scheme == "duckdb":
            import duckdb

            path = unquote(p.path[1:] if source_url.startswith("duckdb:///") else p.path)
            conn = duckdb.connect(path, read_only=True)
        else:
            raise InputError(
                f"--source {source_url!r}: unsupported database; use postgresql://, mysql://, sqlite:/// or duckdb:///"
            )
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot connect to {name}: {exc}") from None
    try:
        cur = conn.cursor()
        cur.execute(query)
        if cur.description is None:
            raise InputError(f"{name}: the query returned no rows table (is it a SELECT?)")
        headers = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{name}: the query failed: {exc}") from None
    finally:
        conn.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    table = pa.table({h: pa.array([_cell_text(v) for v in col], pa.string()) for h, col in zip(headers, columns, strict=True)})
    raw = from_arrow(name, table)
    return raw


def read_file(path: Path, *, encoding: str | None = None, sheet: str | None = None,
              progress: Progress | None = None) -> RawData:
    """Read ``path`` by its extension: .csv/.txt/.tsv, .xlsx/.xlsm, .parquet."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return read_excel(path, sheet, progress)
    if suffix in (".parquet", ".pq"):
        return read_parquet(path)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return read_csv(path, encoding, progress)
    raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .xlsx or .parquet")
