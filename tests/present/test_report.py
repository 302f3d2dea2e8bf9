"""`churnguard report`: the overview's figures as one self-contained HTML page or an Excel
workbook (one sheet a table), in the language asked for, written whole or not at all."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.present.report import ReportOptions, write_report
from churnguard.service import results
from churnguard.service.context import context_of, open_context
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.store import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "shop"
    build_demo(DemoOptions(directory=path, customers=150, months=15, seed=11))
    return path


@pytest.fixture(scope="module")
def figures(shop: Path) -> dict:
    """The stored figures the pages and the API show."""
    with Workspace.open(shop) as ws:
        return {
            "overview": results.figure(context_of(ws), "overview").data,
            "retention": results.figure(context_of(ws), "retention", {"period": "quarter", "basis": "value"}).data,
            "cohorts": results.figure(context_of(ws), "cohorts", {"period": "quarter"}).data,
        }


def test_excel_has_one_sheet_a_table_with_the_figures_as_numbers(shop: Path, figures: dict, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    r = runner.invoke(app, ["report", "--out", str(out), "--lang", "en", "-w", str(shop), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["format"] == "xlsx"
    wb = load_workbook(out)
    assert wb.sheetnames == ["Overview", "Churn rate", "Churn rate by segment", "Revenue retention", "Cohorts",
                             "Price and volume"]
    last = figures["overview"]["latest"]["churn"]
    head = {row[0]: row[1] for row in wb["Overview"].iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}
    assert head["Customers"] == 150
    churn_label = next(k for k in head if k.startswith("Churn rate, "))
    assert head[churn_label] == pytest.approx(last["churn_rate"])
    assert wb["Overview"]["B4"].number_format == "#,##0"

    sheet = wb["Revenue retention"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Period", "Customers at start"] and header[-2:] == ["GRR", "NRR"]
    rows = [r for r in figures["retention"]["data"] if r["value_at_start"]]
    got = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(got) == len(rows)
    for mine, theirs in zip(got, rows, strict=True):
        assert mine[6] == pytest.approx(theirs["grr"]) and mine[7] == pytest.approx(theirs["nrr"])
    assert sheet.cell(row=2, column=7).number_format == "0.0%"
    assert re.fullmatch(r"Q\d \d{4}", got[0][0])

    cohorts = wb["Cohorts"]
    sizes = [r[1] for r in cohorts.iter_rows(min_row=2, values_only=True)]
    expected = dict.fromkeys((r["cohort_start"], r["cohort_size"]) for r in figures["cohorts"]["data"])
    assert sizes == [size for _, size in expected]


def test_excel_in_chinese(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "流失报告.xlsx"
    with open_context(shop, lang="zh") as ctx:
        write_report(ctx, ReportOptions(out=out))
    wb = load_workbook(out)
    assert wb.sheetnames == ["总览", "流失率", "各细分客群流失率", "收入留存", "队列留存", "价格与销量"]
    assert wb["总览"]["A1"].value == "客户流失报告"
    assert [c.value for c in wb["流失率"][1]][:4] == ["期间", "期初", "流失", "流失率"]
    assert re.fullmatch(r"\d{4}年第\d季度", wb["流失率"]["A2"].value)


@pytest.mark.parametrize("lang, words", [
    ("zh", ["客户流失报告", "流失率", "总收入留存率（GRR）", "队列留存", "价格与销量", "历史数据过短"]),
    ("en", ["Customer churn report", "Churn rate", "Gross revenue retention (GRR)", "Cohorts", "Price and volume",
            "History too short"]),
])
def test_html_is_self_contained_in_the_language_asked(shop: Path, figures: dict, tmp_path: Path, lang: str,
                                                     words: list[str]) -> None:
    out = tmp_path / f"report-{lang}.html"
    r = runner.invoke(app, ["report", "--out", str(out), "--lang", lang, "-w", str(shop)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    for w in words:
        assert w in html, w
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    last = figures["overview"]["latest"]["churn"]
    assert f'<span class="figure-value">{last["churn_rate"] * 100:.1f}%</span>' in html
    assert re.search(r"<script[^>]+src=", html) is None and "<link" not in html, "nothing loaded from outside"
    assert "Plotly" in html and html.count('class="chart"') == 5
    assert html.count('<section class="card"') == 5


def test_the_report_reads_the_stored_figures(shop: Path, tmp_path: Path) -> None:
    copy = tmp_path / "shop"
    shutil.copytree(shop, copy)
    with Workspace.open(copy) as ws:
        results.clear(ws)
    with open_context(copy) as ctx:
        write_report(ctx, ReportOptions(out=tmp_path / "a.html"))
    with Workspace.open(copy) as ws:
        stored = results.figure(context_of(ws), "cohorts", {"period": "quarter", "basis": "customers"})
    assert stored.cached, "the report stored what it computed, for the pages to read"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(shop: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"the old report")

    def broken(data, path):
        path.write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr("churnguard.present.report.build.write_excel", broken)
    with pytest.raises(OSError, match="disk full"), open_context(shop) as ctx:
        write_report(ctx, ReportOptions(out=out))
    assert out.read_bytes() == b"the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


@pytest.mark.parametrize("args, words", [
    (["--out", "report.pdf"], ".html or a .xlsx"),
    (["--out", "no/such/folder/r.html"], "does not exist"),
    (["--out", "r.html", "--lang", "fr"], "--lang"),
])
def test_bad_arguments_say_what_to_do(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      args: list[str], words: str) -> None:
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["report", *args, "-w", str(shop)])
    assert r.exit_code != 0 and words in r.output
    assert list(tmp_path.iterdir()) == []


def test_an_empty_workspace_still_reports_what_it_has(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "empty").close()
    out = tmp_path / "empty.html"
    with open_context(tmp_path / "empty", lang="en") as ctx:
        write_report(ctx, ReportOptions(out=out))
    html = out.read_text(encoding="utf-8")
    assert "Customer churn report" in html and "import transactions or contracts first" in html


def test_a_segment_written_like_a_formula_stays_inert_text(shop: Path, tmp_path: Path) -> None:
    """An imported segment '=HYPERLINK(…)' must not come out as a live formula (CSV/Excel injection)."""
    copy = tmp_path / "shop"
    shutil.copytree(shop, copy)
    evil = '=HYPERLINK("http://example.invalid/","click")'
    db = next(copy.glob("*.duckdb"))
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE customers SET segment = ? WHERE segment IS NOT NULL", [evil])
    with Workspace.open(copy) as ws:
        results.clear(ws)
    out = tmp_path / "r.xlsx"
    with open_context(copy, lang="en") as ctx:
        write_report(ctx, ReportOptions(out=out))
    cells = [c for ws in load_workbook(out).worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells, "the segment is in the report"
    assert all(c.data_type == "s" and c.value == evil for c in cells)
