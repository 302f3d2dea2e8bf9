"""The pages in a real browser (Debian's Chromium via Playwright) against `churnguard serve`.

Screenshots of every page in Chinese and English go to tests/web/screenshots/ (not kept in
git) for a person to look at; the assertions check the text, the row errors and the charts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import require
from tests.present.live import (
    BAD_TRANSACTIONS_CSV,
    CUSTOMERS_CSV,
    PASSWORD,
    TRANSACTIONS_CSV,
    Site,
    copy_site,
    serve_subprocess,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "web" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


#: the header links a Chinese admin sees, in their order
NAV_ZH = ["总览", "流失率", "预警客户", "核心客户", "跳槽客户", "流失原因", "跳槽调查", "客户声音", "客户", "数据", "设置"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Site]:
    require(CHROMIUM.exists(), "chromium (/usr/bin/chromium)")
    # after `churnguard run`: the worklist, core customers, defectors and customer pages have figures
    # (a copy of the session's run workspace, asked for only once Chromium is known to be there)
    template = request.getfixturevalue("run_template")
    with serve_subprocess(copy_site(template, tmp_path_factory.mktemp("browser") / "shop")) as site:
        yield site


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    require(CHROMIUM.exists(), "chromium (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A page in a fresh browser context that records the browser's complaints."""

    def __init__(self, chromium, site: Site, locale: str, viewport: dict):
        self.context = chromium.new_context(locale=locale, viewport=viewport)
        self.page = self.context.new_page()
        self.page.set_default_timeout(90_000)  # 2 cores, Plotly drawing: generous, never a timed assertion
        self.site = site
        self.problems: list[str] = []
        # script errors, CSP refusals and failed assets; a page answering 401/422 to a bad form
        # is expected (Chromium logs it as "Failed to load resource"), so documents are left out
        self.page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                     and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
                     and self.problems.append(f"{r.status} {r.url}"))
        # (a navigation cancels what the page was still loading: not a failure)
        self.page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"
                     and self.problems.append(f"failed {r.url}: {r.failure}"))

    def go(self, path: str) -> None:
        self.page.goto(self.site.base_url + path)

    def login(self, who: str) -> None:
        self.go("/login")
        self.page.fill("#user_id", who)
        self.page.fill("#password", PASSWORD)
        self.page.click("form.form button[type=submit]")
        self.page.wait_for_load_state()

    def use_language(self, code: str) -> None:
        """Switch to ``code`` with the page's switch. A signed-in user keeps the choice, so a test
        that needs a language after an earlier test may have switched says so with this."""
        here = self.page.url.removeprefix(self.site.base_url) or "/"
        self.page.goto(f"{self.site.base_url}/lang/{code}?next={quote(here)}")
        assert self.page.locator("html").get_attribute("lang").startswith(code)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], "the browser reported errors (CSP, scripts)"


@pytest.fixture
def tab_factory(chromium, served: Site) -> Iterator:
    tabs: list[Tab] = []

    def make(locale: str = "zh-CN", viewport: dict = LAPTOP) -> Tab:
        tabs.append(Tab(chromium, served, locale, viewport))
        return tabs[-1]

    yield make
    for t in tabs:
        t.close()


def test_login_and_overview_in_chinese(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.go("/")
    assert t.page.url.endswith("/login?next=/")
    assert t.page.inner_text("h1") == "登录"
    t.shot("login-zh")
    t.page.fill("#user_id", "li")
    t.page.fill("#password", "wrong-pass")
    t.page.click("form.form button[type=submit]")
    assert "用户名或密码错误" in t.page.inner_text("main")
    t.login("li")
    assert t.page.inner_text("h1") == "总览"
    assert t.page.inner_text("#fig-customers") == "200"  # the simulated company
    assert "来自" in t.page.inner_text("#run-links") and "尚未计算" not in t.page.inner_text("main")
    assert t.page.inner_text(".nav").split() == NAV_ZH
    t.shot("overview-zh")


def test_data_upload_bad_then_good_file(tab_factory, served: Site, tmp_path: Path) -> None:
    bad = tmp_path / "坏订单.csv"
    bad.write_bytes(BAD_TRANSACTIONS_CSV.encode("gbk"))
    customers = tmp_path / "客户.csv"
    customers.write_bytes(CUSTOMERS_CSV.encode("gbk"))
    orders = tmp_path / "orders.csv"
    orders.write_text(TRANSACTIONS_CSV, encoding="utf-8")

    with served.client("li") as api:
        before = {k: v["rows"] for k, v in api.get("/api/status").json()["tables"].items()}
    t = tab_factory("en-US")
    t.login("li")
    t.use_language("en")
    t.page.click("nav >> text=Data")
    assert t.page.inner_text("h1") == "Data"

    t.page.select_option("#kind", "transactions")
    t.page.set_input_files("#file", str(bad))
    t.page.click("#import button[type=submit]")
    rows = t.page.locator("#row-errors tbody tr")
    assert rows.count() == 3
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(3)]
    assert [c[:4] for c in cells] == [["坏订单.csv", "2", "下单日期", "yesterday"], ["坏订单.csv", "3", "金额", "lots"],
                                      ["坏订单.csv", "4", "客户编号", ""]]
    assert cells[0][4].startswith("not a date") and "customer_id is required but empty" == cells[2][4]
    assert "3 bad values; nothing was imported." in t.page.inner_text(".row-errors")
    t.shot("data-rejected-en")

    for kind, f in (("customers", customers), ("transactions", orders)):
        t.page.select_option("#kind", kind)
        t.page.set_input_files("#file", str(f))
        t.page.click("#import button[type=submit]")
        assert f"Imported {f.name}" in t.page.inner_text(".flash-success")
    customers, transactions = before["customers"] + 3, before["transactions"] + 4
    status = t.page.locator("#status-table tbody tr").all_inner_texts()
    assert f"Customers\t{customers:,}\t" in "\n".join(status) + "\t"
    assert f"Transactions\t{transactions:,}\t" in "\n".join(status) + "\t"
    t.page.wait_for_selector(".chart .main-svg")  # Plotly, served by us, drew the chart
    # newest first; the log keeps whole seconds, so two imports in one second come in either order
    newest = t.page.locator("#imports-table tbody tr").all_inner_texts()[:2]
    assert {r.split("\t")[2] for r in newest} == {"orders.csv", "客户.csv"}
    t.shot("data-en")

    t.page.click("nav >> text=Overview")
    assert t.page.inner_text("#fig-customers") == f"{customers:,}"
    assert t.page.inner_text("#fig-transactions") == f"{transactions:,}"
    t.shot("overview-en")


def test_reasons_page_and_overview_chart(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("li")
    t.use_language("zh")
    t.page.wait_for_selector("#overview-reasons .chart .main-svg .barlayer")  # the overview's reasons chart
    t.page.click("nav >> text=流失原因")
    assert t.page.inner_text("h1") == "流失原因"
    t.page.wait_for_selector("[data-chart=reason-defectors] .main-svg .barlayer")
    t.page.wait_for_selector("[data-chart=reason-value] .main-svg .barlayer")
    rows = t.page.locator("#reasons-table tbody tr")
    assert rows.count() >= 2 and "未记录" in t.page.inner_text("#reasons-table")
    assert "可控" in t.page.inner_text("#reason-totals")
    t.shot("reasons-zh")
    t.page.select_option("#by", "region")
    t.page.click("#reasons-form button[type=submit]")
    t.page.wait_for_selector("#reasons-by-table")
    assert "by=region" in t.page.url
    t.use_language("en")
    assert t.page.inner_text("h1") == "Churn reasons"
    t.page.wait_for_selector("[data-chart=reason-defectors] .main-svg .barlayer")
    t.shot("reasons-region-en")


def test_churn_rate_page(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("li")
    t.use_language("zh")
    t.page.click("nav >> text=流失率")
    assert t.page.inner_text("h1") == "流失率"
    t.page.wait_for_selector(".chart .main-svg .scatterlayer")
    quarters = t.page.locator("#churn-table tbody tr").count()
    assert quarters >= 4 and "季度" in t.page.inner_text("#churn-table")
    t.shot("churn-zh")
    t.page.select_option("#period", "month")
    t.page.select_option("#by", "segment")
    t.page.click("#churn-form button[type=submit]")
    t.page.wait_for_selector(".chart .main-svg .scatterlayer")
    assert t.page.locator("#churn-table tbody tr").count() > quarters
    assert "period=month" in t.page.url and "by=segment" in t.page.url
    t.shot("churn-month-segment-zh")
    t.page.click(".lang-switch [data-lang=en]")
    assert t.page.inner_text("h1") == "Churn rate" and "by=segment" in t.page.url
    t.page.wait_for_selector(".chart .main-svg .scatterlayer")
    t.shot("churn-month-segment-en")

    # the choice is saved on the user: a new session in a Chinese browser stays English
    again = tab_factory("zh-CN")
    again.login("li")
    assert again.page.inner_text("h1") == "Overview"


def test_language_switch_on_every_page(tab_factory) -> None:
    t = tab_factory("zh-CN", TABLET)
    t.login("admin")
    for path, zh, en in (("/", "总览", "Overview"), ("/churn", "流失率", "Churn rate"), ("/data", "数据", "Data"),
                         ("/settings", "设置", "Settings")):
        t.go(path)
        assert t.page.inner_text("h1") == zh
        t.shot(f"tablet-{path.strip('/') or 'overview'}-zh")
        t.page.click(".lang-switch [data-lang=en]")
        assert t.page.inner_text("h1") == en and t.page.url.endswith(path)
        t.shot(f"tablet-{path.strip('/') or 'overview'}-en")
        t.page.click(".lang-switch [data-lang=zh]")
        assert t.page.inner_text("h1") == zh
    t.go("/settings")
    assert "流失阈值" in t.page.inner_text("#settings-form") and t.page.locator("#users-table tbody tr").count() == 3


def test_settings_saved_from_the_page(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("admin")
    t.go("/settings")
    t.page.fill("[name='churn.threshold_days']", "不知道")
    t.page.click("#settings-form button[type=submit]")
    assert "未保存任何设置" in t.page.inner_text("main")
    assert t.page.locator(".field-error").count() == 1
    t.shot("settings-refused-zh")
    t.page.fill("[name='churn.threshold_days']", "120")
    t.page.click("#settings-form button[type=submit]")
    assert "已保存 1 项设置" in t.page.inner_text(".flash-success")
    assert t.page.input_value("[name='churn.threshold_days']") == "120"
    t.shot("settings-zh")


def test_phone_width_still_reads(tab_factory) -> None:
    t = tab_factory("zh-CN", {"width": 390, "height": 844})
    t.login("王芳")
    t.go("/data")
    assert t.page.locator("#import").count() == 0  # a CSM does not import
    width = t.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing sticks out sideways on a phone"
    t.shot("phone-data-zh")


@pytest.mark.parametrize("locale, lang", [("zh-CN", "zh"), ("en-US", "en")])
def test_churn_tabs_draw_their_charts(tab_factory, locale: str, lang: str) -> None:
    t = tab_factory(locale)
    t.login("li")
    t.use_language(lang)
    t.go("/churn")
    tabs = t.page.locator(".tabs a")
    names = tabs.all_inner_texts()
    assert names == (["趋势", "分组对比", "队列留存", "收入留存", "价格与销量"] if lang == "zh"
                     else ["Trend", "By group", "Cohorts", "Revenue retention", "Price and volume"])
    titles = (["分组流失率", "队列留存", "收入留存", "价格与销量"] if lang == "zh"
              else ["Churn rate by group", "Cohorts", "Revenue retention", "Price and volume"])
    for i, (slug, trace) in enumerate((("groups", ".barlayer"), ("cohorts", ".heatmaplayer, .hm"),
                                       ("retention", ".scatterlayer"), ("price-volume", ".barlayer"))):
        t.page.locator(".tabs a").nth(i + 1).click()
        t.page.wait_for_selector(f".chart .main-svg {trace}")
        assert t.page.inner_text("h1") == titles[i]
        assert t.page.locator(".tabs a.active").inner_text() == names[i + 1]
        assert t.page.locator("footer a", has_text="JSON").get_attribute("href").startswith("/api/")
        t.shot(f"churn-{slug}-{lang}")
    t.page.click(".tabs a >> nth=2")
    t.page.select_option("#period", "quarter")
    t.page.select_option("#basis", "revenue")
    t.page.click("#cohorts-form button[type=submit]")
    t.page.wait_for_selector(".chart .main-svg")
    assert "basis=revenue" in t.page.url and t.page.locator("#cohorts-table tbody tr").count() >= 3


def test_overview_with_charts_and_warnings(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("li")
    t.use_language("zh")
    t.page.wait_for_selector("[data-chart=trend] .main-svg .scatterlayer")
    t.page.wait_for_selector("[data-chart=retention] .main-svg .scatterlayer")
    assert t.page.inner_text("#fig-churn").endswith("%") and t.page.inner_text("#fig-grr").endswith("%")
    assert "历史数据过短" in t.page.inner_text("#warnings")
    t.shot("overview-charts-zh")
    t.page.click(".lang-switch [data-lang=en]")
    t.page.wait_for_selector("[data-chart=trend] .main-svg .scatterlayer")
    assert "History too short" in t.page.inner_text("#warnings")
    t.shot("overview-charts-en")


@pytest.mark.parametrize("locale, lang", [("zh-CN", "zh"), ("en-US", "en")])
def test_worklist_filter_then_customer_page(tab_factory, served: Site, locale: str, lang: str) -> None:
    """The daily work of a manager: the worklist, narrowed by a warning signal, then one customer —
    its profile, reasons, timeline and the spend chart drawn."""
    zh = lang == "zh"
    t = tab_factory(locale)
    t.login("li")
    t.use_language(lang)
    t.page.click("nav >> text=" + ("预警客户" if zh else "At risk"))
    assert t.page.inner_text("h1") == ("预警客户" if zh else "Customers at risk")
    first = t.page.locator("#at-risk-table tbody tr").count()
    assert first == 50 and t.page.locator("#at-risk-pager").count() == 1
    t.shot(f"at-risk-{lang}")

    t.page.select_option("#signal", "price_exposure")
    t.page.click("#at-risk-form button[type=submit]")
    t.page.wait_for_load_state()
    assert "signal=price_exposure" in t.page.url
    listed = t.page.locator("#at-risk-table tbody tr")
    assert 0 < listed.count() < first
    tag = "价格上涨影响价格敏感客户" if zh else "Price rise for a price-sensitive customer"
    assert all(tag in row for row in listed.all_inner_texts())
    reasons = listed.first.locator("td.reasons").inner_text()
    assert reasons.strip() and (("采购" in reasons or "天" in reasons) if zh else not any("一" <= ch <= "鿿" for ch in reasons))
    t.shot(f"at-risk-price-exposure-{lang}")

    customer_id = listed.first.get_attribute("data-customer")
    listed.first.locator("a.customer-link").click()
    t.page.wait_for_load_state()
    assert t.page.url.endswith(f"/customers/{customer_id}")
    assert customer_id in t.page.inner_text("#profile")
    assert t.page.locator("#risk-reasons li").count() >= 1
    assert t.page.inner_text("#risk-reasons") in reasons or reasons.splitlines()[0] in t.page.inner_text("#risk-reasons")
    assert t.page.locator("#timeline-table tbody tr").count() >= 1
    t.page.wait_for_selector("[data-chart=spend] .main-svg .barlayer")
    t.page.wait_for_selector("[data-chart=spend] .main-svg .scatterlayer")
    assert ("月度消费与自身常态对比" if zh else "Monthly spend against its own baseline") in t.page.inner_text("#spend")
    assert ("风险与原因" if zh else "Risk and reasons") in t.page.inner_text("#risk")
    t.shot(f"customer-{lang}")


def test_core_and_defectors_pages(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("li")
    t.use_language("zh")
    t.page.click("nav >> text=核心客户")
    assert t.page.inner_text("h1") == "核心客户" and t.page.locator("#core-table tbody tr").count() >= 1
    assert "收入贡献" in t.page.inner_text("#core-table")
    t.shot("core-zh")
    t.page.click("nav >> text=跳槽客户")
    assert t.page.locator("#defector-tabs a.active").inner_text().startswith("完全跳槽客户")
    assert t.page.locator("#defectors-table tbody tr").count() >= 1
    t.shot("defectors-complete-zh")
    t.page.locator("#defector-tabs a").nth(1).click()
    t.page.wait_for_load_state()
    assert t.page.locator("#defector-tabs a.active").inner_text().startswith("部分跳槽客户")
    t.shot("defectors-partial-zh")
    t.use_language("en")
    assert t.page.locator("#defector-tabs a.active").inner_text().startswith("Partial defector")
    t.shot("defectors-partial-en")


def test_a_csm_sees_their_own_worklist(tab_factory) -> None:
    t = tab_factory("zh-CN")
    t.login("王芳")
    t.use_language("zh")
    t.go("/at-risk")
    assert t.page.locator(".tabs a.active").inner_text() == "我的客户"
    rows = t.page.locator("#at-risk-table tbody tr")
    assert rows.count() >= 1 and all("王芳" in r for r in rows.all_inner_texts())
    t.shot("at-risk-csm-zh")
    t.page.click("nav >> text=/^客户$/")
    t.page.fill("#q", "贸易")
    t.page.click("#customers-form button[type=submit]")
    found = t.page.locator("#customers-table tbody tr")
    assert found.count() >= 1 and all("王芳" in r for r in found.all_inner_texts())
    found.first.locator("a.customer-link").click()
    assert t.page.inner_text("#profile").count("王芳") >= 1
    t.shot("customer-found-csm-zh")


def test_customer_voice_pages_draw_their_charts(tab_factory) -> None:
    """Surveys (levels by quarter, churn by level with intervals), a sample drawn by a manager,
    complaints with the estimates marked as estimates, and the defector profile — in Chinese,
    then the complaints in English."""
    t = tab_factory("zh-CN")
    t.login("li")
    t.use_language("zh")
    t.page.click("nav.nav >> text=客户声音")
    assert t.page.inner_text("h1") == "满意度调查"
    t.page.wait_for_selector("#survey-distribution .chart .main-svg")
    t.page.wait_for_selector("#churn-by-level .chart .main-svg")
    assert t.page.locator("#churn-level-table tbody tr").count() == 5
    assert "高度满意" in t.page.inner_text("#churn-level-table")
    t.page.fill("#size", "6")
    t.page.select_option("#stratify", "segment")
    t.page.click("#sample-form button[type=submit]")
    assert "已保存" in t.page.inner_text("#sample-done")
    assert t.page.locator("#sample-table tbody tr").count() == 6
    t.shot("surveys-zh")
    t.page.click("#listen-tabs >> text=投诉")
    t.page.wait_for_selector("#complainer-churn .chart .main-svg")
    estimates = t.page.inner_text("#complaint-estimates")
    assert "估计" in estimates and "并非测量" in estimates
    t.shot("complaints-zh")
    t.page.click("#listen-tabs >> text=跳槽客户的共同点")
    assert t.page.inner_text("h1") == "跳槽客户的共同点"
    assert t.page.locator("#profile-table tbody tr").count() > 5
    t.shot("defectors-profile-zh")
    t.use_language("en")
    t.go("/complaints?status=open")
    assert "Estimates from settings, not measurements" in t.page.inner_text("#complaint-estimates")
    t.shot("complaints-en")
