"""The REST API against a real server: token auth, roles, one error shape, imports as the CLI does them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from churnguard.settings import SETTINGS_FILE
from tests.present.live import (
    BAD_TRANSACTIONS_CSV,
    CUSTOMERS_CSV,
    TRANSACTIONS_CSV,
    Site,
    make_site,
    serve_in_thread,
)


def assert_error(r, status: int, code: str) -> dict:
    """``r`` is an error answer of the one shape; return its ``error`` part."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], "every error says what went wrong"
    return body["error"]


def upload(site: Site, who: str, kind: str | None, name: str, content: bytes, **fields):
    data = {"kind": kind, **fields} if kind is not None else fields
    with site.client(who) as c:
        return c.post("/api/imports", data=data, files={"file": (name, content, "text/csv")})


# -- authentication and roles ---------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cg_not-a-real-token", "Basic YWRtaW46eA==",
                                    "bearer x"])
def test_no_or_bad_token_is_401(site: Site, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    with site.client() as c:
        r = c.get("/api/status", headers=headers)
    err = assert_error(r, 401, "unauthorized")
    assert "churnguard user token" in err["message"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_session_cookie_reads_the_api_but_changes_nothing(site: Site) -> None:
    """A signed-in browser may read the API (the pages link their JSON twins); a change on /api
    needs a bearer token, so a browser's cookie cannot be used for CSRF against it."""
    with site.client() as c:
        page = c.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = c.post("/login", data={"user_id": "admin", "password": "s3cret-pass", "csrf_token": token})
        assert r.status_code == 303 and c.cookies.get("churnguard_session")
        assert c.get("/api/status").status_code == 200
        r = c.post("/api/imports", files={"file": ("t.csv", b"customer_id\nC1\n")}, data={"kind": "customers"})
        assert_error(r, 401, "unauthorized")
        token = c.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]  # the session's new one
        assert c.post("/logout", data={"csrf_token": token}).status_code == 303
        assert_error(c.get("/api/status"), 401, "unauthorized")


@pytest.mark.parametrize("who, status", [("王芳", 403), ("li", 403), ("admin", 200)])
def test_only_admins_list_users(site: Site, who: str, status: int) -> None:
    with site.client(who) as c:
        r = c.get("/api/users")
    if status == 403:
        err = assert_error(r, 403, "forbidden")
        assert "admin" in err["message"]
        return
    body = r.json()
    assert body["count"] == 3
    assert {u["user_id"]: u["role"] for u in body["data"]} == {"admin": "admin", "li": "manager", "王芳": "csm"}
    assert not any("password" in k for u in body["data"] for k in u)


def test_users_json_is_the_cli_json(site: Site) -> None:
    with site.client("admin") as c:
        api = c.get("/api/users").json()
    r = CliRunner().invoke(cli, ["user", "list", "--json", "-w", str(site.path)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == api


def test_me(site: Site) -> None:
    with site.client("王芳") as c:
        me = c.get("/api/me").json()
    assert me["user_id"] == "王芳" and me["role"] == "csm" and me["csm_name"] == "王芳"


def test_csm_may_not_import(site: Site) -> None:
    err = assert_error(upload(site, "王芳", "customers", "c.csv", CUSTOMERS_CSV.encode()), 403, "forbidden")
    assert "csm" in err["message"]


# -- imports --------------------------------------------------------------------------------
def test_import_then_status_matches_the_cli(fresh_site: Site) -> None:
    site = fresh_site
    r = upload(site, "li", "customers", "客户.csv", CUSTOMERS_CSV.encode("gbk"))
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary == {
        "data": [], "count": 0,  # the bad values: none
        "kind": "customers", "file": "客户.csv", "encoding": "gbk/gb18030",
        "mapping": summary["mapping"], "rows_read": 3, "rows_imported": 3, "rows_unchanged": 0,
        "error_count": 0, "errors": [], "dry_run": False,
    }
    assert summary["mapping"]["customer_id"] == "客户编号"
    r = upload(site, "li", "transactions", "orders.csv", TRANSACTIONS_CSV.encode())
    assert r.json()["rows_imported"] == 4
    again = upload(site, "admin", "transactions", "orders.csv", TRANSACTIONS_CSV.encode()).json()
    assert (again["rows_imported"], again["rows_unchanged"]) == (0, 4)  # idempotent

    with site.client("王芳") as c:
        api_status = c.get("/api/status").json()
        log = c.get("/api/imports", params={"kind": "transactions"}).json()
    cli_status = CliRunner().invoke(cli, ["status", "--json", "-w", str(site.path)])
    assert cli_status.exit_code == 0, cli_status.output
    assert api_status == json.loads(cli_status.stdout)
    assert api_status["tables"]["transactions"]["rows"] == 4
    assert api_status["tables"]["transactions"]["date_to"] == "2024-03-20"
    assert log["count"] == 2 and {i["file"] for i in log["data"]} == {"orders.csv"}


def test_rejected_rows_are_422_with_every_row_error_and_nothing_imported(fresh_site: Site) -> None:
    site = fresh_site
    r = upload(site, "li", "transactions", "坏订单.csv", BAD_TRANSACTIONS_CSV.encode())
    err = assert_error(r, 422, "rows_rejected")
    details = err["details"]
    assert details["error_count"] == 3 and details["rows_imported"] == 0
    assert [(e["file"], e["line"], e["column"], e["value"]) for e in details["errors"]] == [
        ("坏订单.csv", 2, "下单日期", "yesterday"),
        ("坏订单.csv", 3, "金额", "lots"),
        ("坏订单.csv", 4, "客户编号", None),
    ]
    assert "not a date" in details["errors"][0]["reason"]
    assert "坏订单.csv" in err["message"]
    with site.client("li") as c:
        st = c.get("/api/status").json()
    assert st["tables"]["transactions"]["rows"] == 0 and st["tables"]["customers"]["rows"] == 0


def test_dry_run_writes_nothing(fresh_site: Site) -> None:
    r = upload(fresh_site, "li", "transactions", "orders.csv", TRANSACTIONS_CSV.encode(), dry_run="true")
    assert r.status_code == 200 and r.json()["dry_run"] is True and r.json()["rows_imported"] == 4
    with fresh_site.client("li") as c:
        assert c.get("/api/status").json()["tables"]["transactions"]["rows"] == 0


@pytest.mark.parametrize(
    "kind, name, content, status, code, words",
    [
        ("orders", "o.csv", b"a,b\n1,2\n", 422, "invalid_input", "unknown kind 'orders'"),
        ("transactions", "empty.csv", b"", 422, "invalid_input", "empty"),
        ("transactions", "blank-header.csv", b"\n\n", 422, "invalid_input", "header"),
        ("transactions", "report.pdf", b"%PDF-1.4", 422, "invalid_input", "unknown file type"),
        ("transactions", "no-amount.csv", b"customer_id,occurred_at\nC1,2024-01-01\n", 422, "invalid_input",
         "amount"),
        ("transactions", "bad.xlsx", b"not a zip", 422, "invalid_input", "bad.xlsx"),
        (None, "o.csv", TRANSACTIONS_CSV.encode(), 422, "invalid_request", "kind"),
    ],
)
def test_bad_uploads_are_4xx_with_a_message(site: Site, kind, name, content, status, code, words) -> None:
    err = assert_error(upload(site, "li", kind, name, content), status, code)
    assert words in err["message"]
    assert "/tmp" not in err["message"] and "churnguard-upload-" not in err["message"]


def test_missing_file_is_422(site: Site) -> None:
    with site.client("li") as c:
        r = c.post("/api/imports", data={"kind": "transactions"})
    err = assert_error(r, 422, "invalid_request")
    assert "file" in err["message"]


def test_oversize_upload_is_413(tmp_path: Path) -> None:
    site = make_site(tmp_path / "small")
    toml = site.path / SETTINGS_FILE
    toml.write_text(toml.read_text(encoding="utf-8").replace("max_upload_mb = 200", "max_upload_mb = 1"),
                    encoding="utf-8")
    big = b"customer_id,occurred_at,amount\n" + b"C1,2024-01-01,1\n" * 200_000  # 3 MB
    with serve_in_thread(site):
        err = assert_error(upload(site, "li", "transactions", "big.csv", big), 413, "too_large")
        assert "1 MB" in err["message"]
        with site.client("li") as c:
            assert c.get("/api/status").json()["tables"]["transactions"]["rows"] == 0


@pytest.mark.parametrize("params, words", [
    ({"limit": "abc"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "5000"}, "limit"),
    ({"kind": "orders"}, "unknown kind 'orders'"),
])
def test_bad_query_parameters_are_422(site: Site, params: dict, words: str) -> None:
    with site.client("li") as c:
        r = c.get("/api/imports", params=params)
    assert r.status_code == 422
    assert words in r.json()["error"]["message"]


def test_unknown_address_and_method_keep_the_shape(site: Site) -> None:
    with site.client("admin") as c:
        assert_error(c.get("/api/nothing-here"), 404, "not_found")
        err = assert_error(c.delete("/api/status"), 405, "method_not_allowed")
        assert "DELETE" in err["message"]


def test_messages_follow_accept_language(site: Site) -> None:
    with site.client() as c:
        zh = c.get("/api/status", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()
        en = c.get("/api/status").json()
    assert "令牌" in zh["error"]["message"] and "token" in en["error"]["message"]


def test_openapi_document_and_docs_page_need_no_cdn(site: Site) -> None:
    with site.client() as c:
        spec = c.get("/api/openapi.json").json()
        docs = c.get("/api/docs")
    paths = spec["paths"]
    assert {"/api/status", "/api/imports", "/api/users", "/api/me"} <= set(paths)
    assert set(paths["/api/imports"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/api/imports"]["post"]["requestBody"]["content"]
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert not any(p.startswith("/login") or p.startswith("/data") for p in paths), "pages are not API"
    assert docs.status_code == 200 and "/api/imports" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text


def test_oversize_upload_without_a_length_is_413_too(tmp_path: Path) -> None:
    """A chunked body (no Content-Length) is counted as it arrives."""
    site = make_site(tmp_path / "small")
    toml = site.path / SETTINGS_FILE
    toml.write_text(toml.read_text(encoding="utf-8").replace("max_upload_mb = 200", "max_upload_mb = 1"),
                    encoding="utf-8")
    boundary = "cgboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntransactions\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\ncustomer_id,occurred_at,amount\r\n").encode()

    def body():
        yield head
        for _ in range(100):
            yield b"C1,2024-01-01,1\r\n" * 2000  # 3.4 MB in all
        yield f"\r\n--{boundary}--\r\n".encode()

    with serve_in_thread(site), site.client("li") as c:
        r = c.post("/api/imports", content=body(),
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert "content-length" not in {k.lower() for k in r.request.headers}
        assert_error(r, 413, "too_large")


def test_service_errors_map_to_one_handler(fresh_site: Site) -> None:
    """A broken churnguard.toml (edited by hand while serving) with no good copy to fall back on
    is a 503; what is wrong, with the file's path, goes to the server's log, not to whoever
    opens the page."""
    toml = fresh_site.path / SETTINGS_FILE
    good = toml.read_text(encoding="utf-8")
    last_good = fresh_site.path / (SETTINGS_FILE + ".last-good")
    last_good.unlink(missing_ok=True)
    toml.write_text(good.replace('language = "zh"', 'language = "fr"'), encoding="utf-8")
    try:
        with fresh_site.client("admin") as c:
            err = assert_error(c.get("/api/status"), 503, "config_error")
            assert "server's log" in err["message"]
            assert str(fresh_site.path) not in err["message"] and "churnguard.toml" not in err["message"]
            page = c.get("/data")
            assert page.status_code == 503 and "text/html" in page.headers["content-type"]
            assert str(fresh_site.path) not in page.text
        with httpx.Client(base_url=fresh_site.base_url) as anonymous:
            page = anonymous.get("/login")
            assert page.status_code == 503 and str(fresh_site.path) not in page.text
        log = (fresh_site.path / "logs" / "churnguard.log").read_text(encoding="utf-8")
        assert "churnguard.toml" in log and "language" in log
    finally:
        toml.write_text(good, encoding="utf-8")
    with fresh_site.client("admin") as c:
        assert c.get("/api/status").status_code == 200


def test_a_settings_file_broken_by_hand_falls_back_to_its_last_good_copy(fresh_site: Site) -> None:
    """Issue 17: one bad value made every page, the login page and the API answer 503 and the CLI
    fail until the file was edited by hand. The last file that read well is kept beside it."""
    import re

    from typer.testing import CliRunner

    from churnguard.present.cli import app
    from tests.present.live import PASSWORD

    toml = fresh_site.path / SETTINGS_FILE
    good = toml.read_text(encoding="utf-8")
    with fresh_site.client("admin") as c:
        assert c.get("/api/status").status_code == 200  # read once: the copy is made
    assert (fresh_site.path / (SETTINGS_FILE + ".last-good")).read_text(encoding="utf-8") == good
    toml.write_text(good.replace('language = "zh"', 'language = "fr"').replace("[churn]", "[churn\n"),
                    encoding="utf-8")
    try:
        with fresh_site.client("li") as c:
            assert c.get("/api/status").status_code == 200
        for who, shown in (("admin", True), ("li", False)):
            with httpx.Client(base_url=fresh_site.base_url, timeout=60) as c:
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
                assert c.post("/login", data={"user_id": who, "password": PASSWORD, "csrf_token": csrf}).status_code == 303
                page = c.get("/")
                assert page.status_code == 200
                assert ('id="settings-problem"' in page.text) is shown, who
        r = CliRunner().invoke(app, ["status", "-w", str(fresh_site.path), "--json"])
        assert r.exit_code == 0 and "last good copy" in r.stderr
    finally:
        toml.write_text(good, encoding="utf-8")


def test_churnguard_status_table() -> None:
    from churnguard.errors import ChurnguardError, ConfigError, FitError, SettingsError, ValidationError
    from churnguard.present.server.errors import churnguard_status

    assert churnguard_status(ValidationError("f", [], 1)) == (422, "rows_rejected")
    assert churnguard_status(SettingsError({"a": "b"})) == (422, "invalid_settings")
    assert churnguard_status(FitError("x")) == (422, "fit_failed")
    assert churnguard_status(ConfigError("x")) == (503, "config_error")
    assert churnguard_status(ChurnguardError("no 'value' results yet")) == (409, "not_possible")
