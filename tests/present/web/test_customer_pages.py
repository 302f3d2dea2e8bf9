"""The customer pages over HTTP: the at-risk worklist, core customers, defectors and one customer —
in Chinese and English, scoped to a CSM's own customers, and the not-computed state before a run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from churnguard.compute.detect.words import reword
from tests.present.live import Site
from tests.present.web.test_pages import browser, login

CJK = re.compile(r"[\u4e00-\u9fff]")


@contextmanager
def signed_in(site: Site, who: str, lang: str) -> Iterator[httpx.Client]:
    """A browser signed in as ``who`` reading ``lang`` (the choice is saved on the user, so say it)."""
    with browser(site, lang) as c:
        login(c, who)
        assert c.get(f"/lang/{lang}?next=/").status_code in (303, 307)
        yield c


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-customer="([^"]+)"', body)


def cells(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-customer=.*?</tr>", body, re.S)


# -- before any run ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/at-risk", "/core", "/defectors", "/defectors?kind=partial"])
def test_before_a_run_the_lists_say_what_to_run(demo_site: Site, path: str) -> None:
    with signed_in(demo_site, "li", "zh") as c:
        r = c.get(path)
        assert r.status_code == 200 and "尚未计算" in r.text and "churnguard run" in r.text
    with signed_in(demo_site, "li", "en") as c:
        r = c.get(path)
        assert r.status_code == 200 and "Not computed yet — run churnguard run." in r.text


def test_before_a_run_a_customer_page_shows_its_records(demo_site: Site) -> None:
    with signed_in(demo_site, "li", "en") as c:
        r = c.get("/customers/C0000001")
        assert r.status_code == 200, r.text
        assert 'id="profile"' in r.text and 'id="timeline-table"' in r.text
        assert "Not computed yet — run churnguard run." in r.text


# -- the worklist ------------------------------------------------------------------------------
def test_worklist_ranks_value_at_risk_with_reasons_in_each_language(run_site: Site) -> None:
    with run_site.client("li") as api:
        top = api.get("/api/at-risk?top=50").json()
    with signed_in(run_site, "li", "zh") as c:
        zh = c.get("/at-risk")
        assert zh.status_code == 200 and "<h1>预警客户</h1>" in zh.text
        assert rows(zh.text, "at-risk-table") == [r["customer_id"] for r in top["data"]]
        nav = re.findall(r'<nav class="nav".*?</nav>', zh.text, re.S)[0]
        assert all(name in nav for name in ("预警客户", "核心客户", "跳槽客户"))
        # stored in the workspace's language (Chinese): shown as stored
        first = top["data"][0]
        assert all(x["text"] in zh.text for x in first["reasons"])
        assert f'{first["value_at_risk"]:,.0f}' in zh.text  # numbers formatted, grouped
        # each row: what changed and the likely cause (or 原因不明：建议回访), in two lists
        cells_zh = cells(zh.text, "at-risk-table")
        for row, cell in zip(top["data"], cells_zh, strict=True):
            assert all(x["text"] in cell for x in row["changes"] + row["causes"])
            assert not row["causes"] or "可能原因" in cell
        assert any(x["code"] == "cause_unknown" for r in top["data"] for x in r["causes"])
    with signed_in(run_site, "li", "en") as c:
        en = c.get("/at-risk")
        assert "<h1>Customers at risk</h1>" in en.text
        # said again in English from the reasons' codes and values
        said = [(x["text"], reword(x, "en")) for r in top["data"] for x in r["reasons"]]
        assert said and all(english in en.text and chinese not in en.text for chinese, english in said)
        assert any(CJK.search(chinese) for chinese, _ in said)
        causes = [reword(x, "en") for r in top["data"] for x in r["causes"]]
        assert "Likely cause" in en.text and all(c in en.text for c in causes)
        assert "Value at risk = churn probability × expected value" in en.text


def test_worklist_filters_and_pages(run_site: Site) -> None:
    with run_site.client("li") as api:
        everyone = api.get("/api/at-risk?top=1000").json()
    segment = everyone["data"][0]["segment"]
    with signed_in(run_site, "li", "en") as c:
        r = c.get("/at-risk", params={"segment": segment})
        ids = rows(r.text, "at-risk-table")
        want = [x["customer_id"] for x in everyone["data"] if x["segment"] == segment]
        assert ids == want[:50]
        r = c.get("/at-risk", params={"signal": "price_exposure"})
        shown = cells(r.text, "at-risk-table")
        assert shown and all("Price rise for a price-sensitive customer" in row for row in shown)
        # 147 scored: three pages of 50, the pager keeps the filters
        p1, p2 = c.get("/at-risk"), c.get("/at-risk?page=2")
        assert 'id="at-risk-pager"' in p1.text and 'href="/at-risk?page=2"' in p1.text
        assert rows(p2.text, "at-risk-table") == [x["customer_id"] for x in everyone["data"][50:100]]
        last = c.get("/at-risk?page=999")
        assert last.status_code == 200 and rows(last.text, "at-risk-table") == [
            x["customer_id"] for x in everyone["data"][100:150]]
        filtered = c.get("/at-risk", params={"segment": segment, "page": 1})
        assert "No customer at risk matches" not in filtered.text
        assert c.get("/at-risk", params={"segment": "no such segment"}).text.count("No customer at risk matches") == 1
        for bad in ("/at-risk?page=0", "/at-risk?page=x", "/at-risk?signal=nonsense", "/at-risk?signal=DROP%20TABLE",
                    "/at-risk?warning=late"):
            r = c.get(bad)
            assert r.status_code == 422 and 'id="error-message"' in r.text, bad


def test_worklist_of_early_warnings(run_site: Site) -> None:
    with run_site.client("li") as api:
        early = api.get("/api/at-risk?top=1000&early=true").json()
    assert early["count"] > 0 and {r["warning"] for r in early["data"]} == {"early"}
    with signed_in(run_site, "li", "en") as c:
        every = cells(c.get("/at-risk").text, "at-risk-table")
        # each customer is marked, early or overdue
        assert all(("warning-early" in row) != ("warning-overdue" in row) for row in every)
        r = c.get("/at-risk", params={"warning": "early"})
        assert 'id="early-hint"' in r.text
        assert rows(r.text, "at-risk-table") == [x["customer_id"] for x in early["data"]][:50]
        assert all("warning-early" in row and ">early warning<" in row for row in cells(r.text, "at-risk-table"))


def test_a_csm_works_their_own_list_and_may_look_at_everyones(run_site: Site) -> None:
    with signed_in(run_site, "王芳", "zh") as c:
        mine = c.get("/at-risk")
        assert 'aria-current="page">我的客户' in mine.text and 'id="csm"' not in mine.text
        mine_rows = cells(mine.text, "at-risk-table")
        assert mine_rows and all("王芳" in row for row in mine_rows)
        everyone = c.get("/at-risk?scope=all")
        all_rows = cells(everyone.text, "at-risk-table")
        assert len(all_rows) > len(mine_rows)
        # links only to the pages she may open
        for row in all_rows:
            assert ("customer-link" in row) == ('<span class="csm">王芳</span>' in row)
        other = next(re.search(r'data-customer="([^"]+)"', row).group(1) for row in all_rows if '<span class="csm">王芳</span>' not in row)
        r = c.get(f"/customers/{other}")
        assert r.status_code == 404 and "在您可查看的客户中没有客户" in r.text
        own = re.search(r'data-customer="([^"]+)"', mine_rows[0]).group(1)
        assert c.get(f"/customers/{own}").status_code == 200
        for path in ("/core", "/defectors", "/defectors?kind=partial"):
            assert c.get(path).status_code == 200


# -- core customers and defectors --------------------------------------------------------------
def test_core_customers_and_defectors(run_site: Site) -> None:
    with run_site.client("li") as api:
        core = api.get("/api/core-customers?top=50").json()
        dfx = api.get("/api/defectors").json()
    with signed_in(run_site, "li", "zh") as c:
        r = c.get("/core")
        assert r.status_code == 200 and rows(r.text, "core-table") == [x["customer_id"] for x in core["data"]]
        assert core["data"][0]["core_reason"] in r.text  # 前…%收入贡献, 合作…年 …
        r = c.get("/defectors")
        complete = [x["customer_id"] for x in dfx["data"] if x["kind"] == "complete"]
        assert rows(r.text, "defectors-table") == complete[:50]
        assert f"完全跳槽客户 ({dfx['counts']['complete']})" in r.text
        r = c.get("/defectors?kind=partial")
        partial = [x for x in dfx["data"] if x["kind"] == "partial"]
        assert rows(r.text, "defectors-table") == [x["customer_id"] for x in partial]
        assert partial[0]["evidence"][0]["text"] in r.text
        assert c.get("/defectors?kind=everyone").status_code == 422
    with signed_in(run_site, "li", "en") as c:
        r = c.get("/core")
        assert "top " in r.text and "% of revenue" in r.text  # the explanation said again in English
        r = c.get("/defectors?kind=partial")
        assert "Partial defector" in r.text and ("spend" in r.text or "purchases" in r.text)


# -- one customer ------------------------------------------------------------------------------
def test_customer_page_in_both_languages(run_site: Site) -> None:
    with run_site.client("li") as api:
        top = api.get("/api/at-risk?top=1").json()["data"][0]
        d = api.get(f"/api/customers/{top['customer_id']}").json()
    cid = top["customer_id"]
    with signed_in(run_site, "li", "zh") as c:
        r = c.get(f"/customers/{cid}")
        assert r.status_code == 200
        t = r.text
        assert d["profile"]["name"] in t and 'id="risk-reasons"' in t
        assert all(x["text"] in t for x in top["reasons"])
        # the two lists: what changed and the likely cause (or that no cause shows)
        assert top["causes"] and all(x["text"] in t for x in top["changes"] + top["causes"])
        assert "发生了什么变化" in t and "可能原因" in t
        assert "风险价值排名：第 1 位" in t and "月度消费与自身常态对比" in t
        chart = json.loads(re.search(r'<script type="application/json" id="chart-spend">(.*?)</script>', t, re.S).group(1))
        assert [tr["type"] for tr in chart["data"]] == ["bar", "bar", "scatter"]
        assert "年" in chart["data"][0]["x"][0]  # months said the Chinese way
        assert t.count('<tr data-kind=') == min(50, d["timeline"]["total"])
    with signed_in(run_site, "li", "en") as c:
        t = c.get(f"/customers/{cid}").text
        assert "Monthly spend against its own baseline" in t and "Risk and reasons" in t
        reasons = re.search(r'<div id="risk-reasons">(.*?)</div>', t, re.S).group(1)
        assert reasons and "rank 1" not in reasons and "What changed" in reasons and "Likely cause" in reasons
        assert 'href="/api/customers/' in t


@pytest.mark.parametrize("path, status", [
    ("/customers/NOPE", 404), ("/customers/C0000001'%20OR%20'1'='1", 404), ("/customers/%E5%AE%A2%E6%88%B7", 404),
    ("/customers/C0000001?page=0", 422), ("/customers/C0000001?page=abc", 422),
])
def test_customer_page_bad_addresses_are_not_500(run_site: Site, path: str, status: int) -> None:
    with signed_in(run_site, "li", "en") as c:
        r = c.get(path)
        assert r.status_code == status and 'id="error-message"' in r.text
        assert c.get("/customers/C0000001?page=999").status_code == 200  # past the end: the last page


def test_find_a_customer_and_open_it(run_site: Site) -> None:
    with signed_in(run_site, "li", "zh") as c:
        everyone = c.get("/customers")
        assert everyone.status_code == 200 and len(rows(everyone.text, "customers-table")) == 50
        assert 'id="customers-pager"' in everyone.text and "位客户" in everyone.text
        found = c.get("/customers", params={"q": "c0000001"})  # any case, any part of the id
        ids = rows(found.text, "customers-table")
        assert ids and all("C0000001" in i for i in ids)
        by_name = c.get("/customers", params={"q": "贸易"})
        assert rows(by_name.text, "customers-table")
        nothing = c.get("/customers", params={"q": "' OR '1'='1"})
        assert nothing.status_code == 200 and "没有符合条件的客户" in nothing.text
        page = c.get(f"/customers/{ids[0]}")
        assert page.status_code == 200 and ids[0] in page.text
    with signed_in(run_site, "王芳", "en") as c:
        mine = cells(c.get("/customers?page=1").text, "customers-table")
        assert mine and all("<td>王芳</td>" in row for row in mine)
        assert len(cells(c.get("/customers?scope=all").text, "customers-table")) == 50


def test_a_request_opens_its_workspace_once(run_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worklist, its choices and the names come from the request's one open workspace (a
    context made from it): no use case opens the workspace again, with its table checks."""
    from churnguard.store import Workspace

    real = Workspace.open.__func__
    opened: list[bool] = []

    def counting(cls, path=None, *, create_tables=True):
        opened.append(create_tables)
        return real(cls, path, create_tables=create_tables)

    with signed_in(run_site, "li", "en") as c:
        assert c.get("/at-risk").status_code == 200  # the connection kept between requests is open now
        monkeypatch.setattr(Workspace, "open", classmethod(counting))
        for path in ("/at-risk", "/at-risk?segment=key&page=2", "/customers", "/customers/C0000001"):
            opened.clear()
            r = c.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            assert opened == [False], (path, opened)
