"""No 500 on bad input: control characters, out-of-range dates, damaged workbooks, long upload names.

Each case here answered 500 (or printed a traceback) before the edge checks: a NUL byte in a
search reached the store's SQL, a date of 0001-01-01 overflowed the engines' timestamps, a
workbook cut short failed halfway through the sheet, and a name of 100 Chinese characters
(300 bytes) was longer than a file system allows.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE, bad_character, check_date
from churnguard.errors import InputError
from churnguard.ingest.readers import read_excel
from churnguard.present.cli import app as cli
from churnguard.present.server.uploads import MAX_NAME_BYTES, safe_filename
from churnguard.service import users as users_svc
from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace
from tests.present.live import CUSTOMERS_CSV, PASSWORD, PEOPLE, TRANSACTIONS_CSV, Site, serve_in_thread
from tests.present.server.test_api import assert_error
from tests.present.web.test_pages import browser, login

CONTROLS = ["a\x00b", "\x00", "王\x1b[31m", "x\x7f", "tab\there", "line\nbreak"]
FIGURES = ["/api/churn-rate", "/api/cohorts", "/api/retention", "/api/price-volume"]


# -- control characters -------------------------------------------------------------------------
@pytest.fixture
def engine_site(workspace: Workspace, tmp_path: Path) -> Iterator[Site]:
    """Three customers and four orders on each store engine, served, with a user and token per role."""
    site = Site(workspace.path)
    for kind, text in (("customers", CUSTOMERS_CSV), ("transactions", TRANSACTIONS_CSV)):
        f = tmp_path / f"{kind}.csv"
        f.write_text(text, encoding="utf-8")
        assert import_data(workspace, ImportOptions(kind=kind, file=f)).ok
    for name, (role, csm) in PEOPLE.items():
        users_svc.add_user(workspace, users_svc.UserCreate(name, role, PASSWORD, csm_name=csm))
        site.tokens[name] = users_svc.create_token(workspace, name)
    workspace.close()
    with serve_in_thread(site) as s:
        yield s


def test_control_characters_in_a_search_are_422_on_each_engine(engine_site: Site) -> None:
    with engine_site.client("li") as c:
        for param in ("q", "segment", "csm"):
            for value in CONTROLS:
                err = assert_error(c.get("/api/customers", params={param: value}), 422, "invalid_input")
                assert err["message"].startswith(f"{param}: ") and "U+" in err["message"], err
                assert err["details"]["in"] == "query" and err["details"]["name"] == param
        # the check refuses control characters only: Chinese text and punctuation still search
        ok = c.get("/api/customers", params={"q": "上海", "segment": ""})
        assert ok.status_code == 200 and [r["customer_id"] for r in ok.json()["data"]] == ["C001"]
    with engine_site.client("王芳") as c:  # a CSM's own customers, found by their Chinese name
        found = c.get("/api/customers", params={"q": "有限公司"}).json()
        assert [r["customer_id"] for r in found["data"]] == ["C001"]
        assert sorted(r["customer_id"] for r in c.get("/api/customers").json()["data"]) == ["C001", "C003"]


def test_the_message_names_the_character_in_the_readers_language(engine_site: Site) -> None:
    for lang, text in (("en", "q: control characters such as U+0000 (NUL) are not allowed."),
                       ("zh", "q：不允许包含控制字符（如 U+0000 (NUL)）。")):
        with engine_site.client("li") as c:
            r = c.get("/api/customers", params={"q": "a\x00"}, headers={"Accept-Language": lang})
        err = assert_error(r, 422, "invalid_input")
        assert err["message"] == text


@pytest.mark.parametrize("path", ["/api/customers", "/api/at-risk", "/api/defectors", "/api/core-customers"])
@pytest.mark.parametrize("param", ["q", "segment", "csm"])
def test_nul_in_any_list_parameter_is_422_not_500(run_site: Site, path: str, param: str) -> None:
    with run_site.client("li") as c:
        err = assert_error(c.get(path, params={param: "a\x00b"}), 422, "invalid_input")
        assert param in err["message"]
        assert c.get(path, params={param: "零售"}).status_code == 200


def test_nul_in_a_path_or_a_form_field_is_422(run_site: Site) -> None:
    with run_site.client("li") as c:
        err = assert_error(c.get("/api/customers/C0000001%00"), 422, "invalid_input")
        assert err["details"]["in"] == "path"
        r = c.post("/api/imports", data={"kind": "customers\x00"},
                   files={"file": ("c.csv", CUSTOMERS_CSV.encode(), "text/csv")})
        err = assert_error(r, 422, "invalid_input")
        assert err["details"] == {"in": "form", "name": "kind", "character": "U+0000"}


@pytest.mark.parametrize("path", ["/customers?q=a%00b", "/at-risk?segment=%00", "/at-risk?csm=x%00",
                                  "/customers?q=%1b"])
def test_pages_answer_the_error_page_naming_the_parameter(run_site: Site, path: str) -> None:
    for lang, words in (("en", "control characters"), ("zh", "不允许包含控制字符")):
        with browser(run_site, lang) as c:
            login(c, "li")
            assert c.get(f"/lang/{lang}?next=/").status_code in (303, 307)
            r = c.get(path)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:300]
        assert words in r.text
        name = path.split("?")[1].split("=")[0]
        assert f"{name}: " in r.text or f"{name}：" in r.text


def test_a_login_form_with_nul_is_refused_before_the_store(run_site: Site) -> None:
    with browser(run_site) as c:
        page = c.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = c.post("/login", data={"user_id": "li\x00", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 422 and "user_id" in r.text
        # lines are allowed in a form field (a text area); only the other control characters are not
        r = c.post("/login", data={"user_id": "li\n", "password": "wrong", "csrf_token": token})
        assert r.status_code != 422 and r.status_code < 500


def test_bad_character_rules() -> None:
    assert bad_character("上海 trade, Ltd. ‘引号’ 😀") is None
    assert bad_character("a\x00") == "\x00" and bad_character("\x85") == "\x85"
    assert bad_character("two\nlines\r\n\tand a tab") == "\n"
    assert bad_character("two\nlines\r\n\tand a tab", lines=True) is None
    assert bad_character("x\x00", lines=True) == "\x00"


# -- dates ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, param", [*((p, q) for p in FIGURES for q in ("from", "to", "as_of")),
                                         ("/api/overview", "as_of")])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_dates_outside_the_range_are_422_naming_the_parameter(demo_site: Site, path: str, param: str,
                                                              day: str) -> None:
    with demo_site.client("li") as c:
        err = assert_error(c.get(path, params={param: day}), 422, "invalid_request")
    assert f"query.{param}" in err["message"]
    assert EARLIEST_DATE.isoformat() in err["message"] or LATEST_DATE.isoformat() in err["message"]


@pytest.mark.parametrize("path", [*FIGURES, "/api/overview"])
def test_the_first_and_last_dates_accepted_are_computed(demo_site: Site, path: str) -> None:
    """The bounds are what the engines handle: at them every figure is computed (or refused clearly)."""
    with demo_site.client("li") as c:
        for params in ({"as_of": "1900-01-01"}, {"as_of": "2199-12-31", "period": "month"},
                       {"to": "1900-01-01"}, {"to": "2199-12-31", "period": "month"},
                       {"from": "1900-01-01", "period": "month"}, {"from": "2199-12-31"}):
            if path == "/api/overview" and "from" in params:
                continue
            r = c.get(path, params=params)
            assert r.status_code in (200, 422), (path, params, r.text[:300])
            if r.status_code == 422:  # only a first period after the as-of date
                assert params.get("from") == "2199-12-31" and "is after" in r.json()["error"]["message"]


def test_retention_from_after_the_data_is_an_input_error(demo_site: Site) -> None:
    with demo_site.client("li") as c:
        err = assert_error(c.get("/api/retention", params={"from": "2199-12-31", "period": "month"}),
                           422, "invalid_input")
    assert "--from 2199-12-31 is after" in err["message"]


def test_run_as_of_long_after_the_data_is_not_a_traceback(tmp_path: Path) -> None:
    from churnguard.service.demo import DemoOptions, build_demo

    build_demo(DemoOptions(directory=tmp_path / "shop", customers=120, months=12, seed=3))
    r = CliRunner().invoke(cli, ["run", "--as-of", "2199-12-31", "-w", str(tmp_path / "shop")])
    assert r.exit_code == 0 and r.exception is None, r.output
    assert "no churn model: no customer has features on the observation dates" in r.output


@pytest.mark.parametrize("command", [["churn-rate"], ["cohorts"], ["retention"], ["price-volume"], ["overview"],
                                     ["value"], ["run"], ["defectors"], ["signals"]])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_cli_dates_outside_the_range_name_the_option(demo_site: Site, command: list[str], day: str) -> None:
    options = ["--as-of"] if command[0] in ("value", "run", "defectors", "signals", "overview") else ["--to", "--as-of"]
    if command[0] not in ("overview", "value", "run", "defectors", "signals"):
        options.append("--from")
    for option in options:
        r = CliRunner().invoke(cli, [*command, option, day, "-w", str(demo_site.path)])
        assert r.exit_code == 2, r.output
        assert "Traceback" not in r.output
        assert f"{option}: {day} is outside the dates churnguard handles (1900-01-01 to 2199-12-31)" in r.output


def test_check_date() -> None:
    assert check_date(EARLIEST_DATE, "--from") == EARLIEST_DATE and check_date(None, "--to") is None
    with pytest.raises(InputError, match="--to: 2200-01-01 is outside"):
        check_date(LATEST_DATE.replace(year=2200, month=1, day=1), "--to")


# -- workbooks --------------------------------------------------------------------------------------
def workbook(rows: int = 2000) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户编号", "下单日期", "金额"])
    for i in range(rows):
        ws.append([f"C{i:04d}", "2024-01-05", 100 + i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook ``data`` with its first sheet's XML replaced by ``change(xml)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for name in src.namelist():
            body = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = change(body)
            w.writestr(name, body)
    return out.getvalue()


def half_sheet(data: bytes) -> bytes:
    """A workbook whose sheet XML stops halfway (a valid zip around a cut sheet)."""
    return rewrite_sheet(data, lambda xml: xml[: len(xml) // 2])


def entity_bomb(data: bytes) -> bytes:
    """A workbook whose sheet declares nested entities (a "billion laughs") and uses the last one."""
    dtd = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i + 1} "' + f"&lol{i};" * 10 + '">' for i in range(9)) + "]>"
    return rewrite_sheet(data, lambda xml: (dtd + xml.decode().replace("<t>C0000</t>", "<t>&lol9;</t>", 1)).encode())


def one_entity(data: bytes) -> bytes:
    """A workbook whose sheet declares one harmless-looking entity (Excel never writes a DTD)."""
    dtd = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY who "C9999">]>'
    return rewrite_sheet(data, lambda xml: (dtd + xml.decode().replace("<t>C0000</t>", "<t>&who;</t>", 1)).encode())


def test_workbooks_are_parsed_with_defusedxml() -> None:
    """openpyxl picks defusedxml when it is installed (a dependency): entity declarations are refused."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("damage", ["cut", "half_sheet", "entity_bomb", "one_entity"])
def test_a_damaged_or_hostile_workbook_is_an_input_error_naming_it(tmp_path: Path, damage: str) -> None:
    good = workbook()
    data = {"cut": good[: len(good) * 2 // 3], "half_sheet": half_sheet(good), "entity_bomb": entity_bomb(good),
            "one_entity": one_entity(good)}[damage]
    path = tmp_path / f"{damage}.xlsx"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"{damage}.xlsx: not a readable .xlsx workbook"):
        read_excel(path)
    (tmp_path / "good.xlsx").write_bytes(good)
    assert read_excel(tmp_path / "good.xlsx").table.num_rows == 2000


@pytest.mark.parametrize("damage", ["half_sheet", "entity_bomb"])
def test_a_damaged_workbook_upload_is_422_naming_the_file(site: Site, damage: str) -> None:
    data = {"half_sheet": half_sheet, "entity_bomb": entity_bomb}[damage](workbook())
    with site.client("li") as c:
        r = c.post("/api/imports", data={"kind": "transactions"}, files={"file": ("订单.xlsx", data, "application/zip")})
    err = assert_error(r, 422, "invalid_input")
    assert err["message"].startswith("订单.xlsx: not a readable .xlsx workbook"), err
    assert "/tmp" not in err["message"]


def test_cli_import_of_a_cut_workbook_names_it_without_a_traceback(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "shop").close()
    path = tmp_path / "orders.xlsx"
    path.write_bytes(half_sheet(workbook()))
    r = CliRunner().invoke(cli, ["import", "transactions", str(path), "-w", str(tmp_path / "shop")])
    assert r.exit_code == 2, r.output
    assert "orders.xlsx: not a readable .xlsx workbook" in r.output and "Traceback" not in r.output


# -- upload names -----------------------------------------------------------------------------------
def test_names_are_cut_by_bytes_never_inside_a_character() -> None:
    for name in ("客" * 100 + ".csv", "a" + "户" * 100 + ".xlsx", "😀" * 80 + ".csv", "x" * 300 + ".csv"):
        cut = safe_filename(name)
        assert len(cut.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(cut)
        assert len(cut.encode("utf-8")) > MAX_NAME_BYTES - 4  # at most one character's bytes lost
    assert safe_filename("客户.csv") == "客户.csv"


def test_an_upload_named_with_100_chinese_characters_imports(fresh_site: Site) -> None:
    name = "客" * 100 + ".csv"
    with fresh_site.client("li") as c:
        r = c.post("/api/imports", data={"kind": "customers"},
                   files={"file": (name, CUSTOMERS_CSV.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["rows_imported"] == 3
    assert summary["file"].endswith("客.csv") and len(summary["file"].encode()) <= MAX_NAME_BYTES


@pytest.mark.parametrize("path", ["/churn", "/churn/cohorts", "/churn/retention", "/churn/price-volume", "/churn/groups", "/"])
def test_pages_given_far_dates_are_not_5xx(demo_site: Site, path: str) -> None:
    """The pages take no date of their own; far dates in the address change nothing and break nothing."""
    with browser(demo_site) as c:
        login(c, "li")
        plain = c.get(path)
        far = c.get(path, params={"from": "0001-01-01", "to": "9999-12-31"})
    assert plain.status_code == 200 and far.status_code == 200


def test_date_bounds_on_each_engine(engine_site: Site) -> None:
    """Outside the range: 422 naming the parameter; at its ends, each engine computes the figures."""
    with engine_site.client("li") as c:
        for path in [*FIGURES, "/api/overview"]:
            err = assert_error(c.get(path, params={"as_of": "9999-12-31"}), 422, "invalid_request")
            assert "query.as_of" in err["message"]
            for params in ({"as_of": "2199-12-31", "period": "month"}, {"as_of": "1900-01-01"},
                           *([{"from": "1900-01-01", "period": "month"}] if path != "/api/overview" else [])):
                r = c.get(path, params=params)
                assert r.status_code == 200, (path, params, r.text[:300])
