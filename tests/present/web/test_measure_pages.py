"""The churn pages (trend, by group, cohorts, revenue retention, price and volume) and the
overview over HTTP: the API's figures, in both languages, each page linking its JSON twin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.present.live import PASSWORD, Site

PAGES = {
    # path: (api twin, English title, Chinese title)
    "/churn/groups": ("/api/churn-rate?period=quarter&amp;basis=customers&amp;by=segment", "Churn rate by group", "分组流失率"),
    "/churn/cohorts": ("/api/cohorts?period=month&amp;basis=customers", "Cohorts", "队列留存"),
    "/churn/retention": ("/api/retention?period=quarter&amp;basis=value", "Revenue retention", "收入留存"),
    "/churn/price-volume": ("/api/price-volume?period=quarter", "Price and volume", "价格与销量"),
    "/": ("/api/overview", "Overview", "总览"),
}


@contextmanager
def signed_in(site: Site, lang: str, who: str = "li") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, headers={"Accept-Language": lang}, timeout=120) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"user_id": who, "password": PASSWORD, "csrf_token": token}).status_code == 303
        yield c


def h1(page: httpx.Response) -> str:
    return re.search(r"<h1>(.*?)</h1>", page.text).group(1)


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_in_both_languages_links_its_json_twin(demo_site: Site, path: str) -> None:
    twin, en, zh = PAGES[path]
    with signed_in(demo_site, "en") as c:
        page = c.get(path)
    assert page.status_code == 200 and h1(page) == en
    assert f'href="{twin}">JSON</a>' in page.text
    with signed_in(demo_site, "zh-CN", "王芳") as c:
        page = c.get(path)
    assert page.status_code == 200 and h1(page) == zh
    assert 'class="chart"' in page.text and "plotly.min.js" in page.text


def test_pages_need_a_login(demo_site: Site) -> None:
    with httpx.Client(base_url=demo_site.base_url) as c:
        for path in PAGES:
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_overview_shows_the_stored_figures(demo_site: Site) -> None:
    with demo_site.client("li") as api:
        d = api.get("/api/overview").json()
    with signed_in(demo_site, "en") as c:
        page = c.get("/").text
    last = d["latest"]["churn"]
    assert f'id="fig-churn">{last["churn_rate"] * 100:.1f}%<' in page
    assert f'id="fig-value-churn">{last["value_churn_rate"] * 100:.1f}%<' in page
    assert f'id="fig-grr">{d["latest"]["retention"]["grr"] * 100:.1f}%<' in page
    assert f'id="fig-lost">{last["customers_lost"]:,}<' in page
    assert "History too short" in page and 'id="chart-trend"' in page and 'id="chart-retention"' in page
    with signed_in(demo_site, "zh-CN") as c:
        zh = c.get("/").text
    assert "历史数据过短" in zh and "总收入留存率（GRR）" in zh
    assert ("较上期" in zh) == (last["previous_churn_rate"] is not None)


def test_cohort_table_is_the_triangle(demo_site: Site) -> None:
    with demo_site.client("li") as api:
        d = api.get("/api/cohorts", params={"period": "quarter"}).json()
    with signed_in(demo_site, "en") as c:
        page = c.get("/churn/cohorts", params={"period": "quarter"}).text
    table = page.split('id="cohorts-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td class=\"nowrap\">(Q\d \d{4})</td><td class=\"num\">([\d,]+)</td>", table)
    cohorts = list(dict.fromkeys((r["cohort_start"], r["cohort_size"]) for r in d["data"]))
    assert [int(n.replace(",", "")) for _, n in rows] == [size for _, size in cohorts]
    assert '"type": "heatmap"' in page


def test_retention_rows_and_percentages(demo_site: Site) -> None:
    with demo_site.client("li") as api:
        d = api.get("/api/retention").json()
    with signed_in(demo_site, "en") as c:
        page = c.get("/churn/retention").text
    for r in d["data"]:
        if r["grr"] is not None:
            assert f"{r['grr'] * 100:.1f}%" in page and f"{r['nrr'] * 100:.1f}%" in page


def test_groups_page_ranks_the_last_complete_period(demo_site: Site) -> None:
    with signed_in(demo_site, "en") as c:
        page = c.get("/churn/groups", params={"by": "customer_type"}).text
        zh = c.get("/churn/groups", params={"by": "customer_type"}, headers={"Accept-Language": "zh"})
    assert "key account" in page and "regular customer" in page
    assert '"type": "bar"' in page
    assert zh.status_code == 200 and "大客户" in zh.text


def test_price_volume_page_words_the_false_growth_warning(demo_site: Site) -> None:
    with demo_site.client("li") as api:
        d = api.get("/api/price-volume", params={"period": "month"}).json()
    with signed_in(demo_site, "en") as c:
        page = c.get("/churn/price-volume", params={"period": "month"}).text
        zh = c.get("/churn/price-volume", params={"period": "month"}, headers={"Accept-Language": "zh"}).text
    flagged = [r for r in d["data"] if r["warning"]]
    assert page.count('class="warning false-growth"') == len(flagged)
    assert page.count('<tr class="flagged">') == len(flagged)
    if flagged:  # the simulated company raises prices, so some month shows it
        assert "False growth in" in page and "Check prices." in page
        assert "是虚假增长吗？" in zh and "请检查价格" in zh
        # and against which period it was judged
        assert all(r["comparison"] in ("previous", "year_before") and r["compared_with"] for r in flagged)
        assert page.count("Compared with") == len(flagged) and zh.count("对比") >= len(flagged)


def test_long_tables_are_paged(demo_site: Site) -> None:
    with signed_in(demo_site, "en") as c:
        first = c.get("/churn", params={"period": "month", "by": "segment"})
        assert 'id="churn-pager"' in first.text and "Rows 1–50 of" in first.text
        nxt = re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
        assert "by=segment" in nxt and "page=2" in nxt
        second = c.get(nxt)
        assert "Rows 51–" in second.text and 'rel="prev"' in second.text
        beyond = c.get("/churn", params={"period": "month", "by": "segment", "page": 999})
        assert beyond.status_code == 200 and 'rel="next"' not in beyond.text
        bad = c.get("/churn", params={"page": 0})
    assert bad.status_code == 422


@pytest.mark.parametrize("path, params", [
    ("/churn/cohorts", {"period": "year"}),
    ("/churn/retention", {"basis": "customers"}),
    ("/churn/price-volume", {"period": "week"}),
    ("/churn/groups", {"by": "colour"}),
])
def test_bad_page_parameters_are_422_pages(demo_site: Site, path: str, params: dict) -> None:
    with signed_in(demo_site, "en") as c:
        r = c.get(path, params=params)
    assert r.status_code == 422 and "<h1>" in r.text


@pytest.mark.parametrize("path", ["/churn/cohorts", "/churn/retention", "/churn/price-volume", "/churn/groups", "/"])
def test_pages_without_data_say_what_to_do(site: Site, path: str) -> None:
    with signed_in(site, "zh-CN") as c:
        page = c.get(path)
    assert page.status_code == 200
    if path != "/":
        assert "请先导入交易或合同数据" in page.text
    else:
        assert "工作区中还没有数据" in page.text


def test_a_signed_in_browser_opens_the_json_twins_but_changes_nothing_with_its_session(demo_site: Site) -> None:
    with demo_site.client("li") as api:
        by_token = api.get("/api/overview").json()
    with signed_in(demo_site, "en") as c:
        page = c.get("/")
        twin = re.search(r'href="(/api/overview)">JSON</a>', page.text).group(1)
        r = c.get(twin)
        assert r.status_code == 200 and r.json() == by_token
        # a change on /api needs the token: the session cookie cannot stand in (no CSRF check there)
        r = c.post("/api/imports", files={"file": ("t.csv", b"customer_id,occurred_at,amount\nC1,2024-01-01,5\n")},
                   data={"kind": "transactions"})
        assert r.status_code == 401
    with httpx.Client(base_url=demo_site.base_url) as anonymous:
        assert anonymous.get("/api/overview").status_code == 401
