"""The customer routes of the API against a served workspace after `churnguard run`: the CLI's JSON,
token auth, the CSM scope, 422 on bad input, 404 on an unknown customer, never a 500."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from tests.present.live import Site
from tests.present.server.test_api import assert_error

runner = CliRunner()


def cli_json(site: Site, *args: str) -> dict:
    r = runner.invoke(cli, [*args, "--workspace", str(site.path), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


ROUTES = ["/api/at-risk", "/api/defectors", "/api/core-customers", "/api/customers", "/api/customers/C0000001"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer cg_not-a-real-token"])
def test_every_customer_route_needs_a_token(run_site: Site, path: str, header: str | None) -> None:
    with run_site.client() as c:
        r = c.get(path, headers={"Authorization": header} if header else {})
    assert_error(r, 401, "unauthorized")


@pytest.mark.parametrize("cli_args, path", [
    (["at-risk", "--top", "15"], "/api/at-risk?top=15"),
    (["at-risk", "--top", "5", "--signal", "price_exposure", "--offset", "1"], "/api/at-risk?top=5&signal=price_exposure&offset=1"),
    (["at-risk", "--top", "5", "--early"], "/api/at-risk?top=5&early=true"),
    (["defectors", "--stored"], "/api/defectors"),
    (["defectors", "--stored", "--kind", "partial", "--limit", "3"], "/api/defectors?kind=partial&limit=3"),
    (["core-customers", "--stored", "--top", "5"], "/api/core-customers?top=5"),
    (["customers", "--query", "贸易", "--limit", "7"], "/api/customers?q=贸易&limit=7"),
])
def test_the_api_answers_the_cli_json(run_site: Site, cli_args: list[str], path: str) -> None:
    with run_site.client("li") as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    assert r.json() == cli_json(run_site, *cli_args)
    body = r.json()
    assert body["count"] == len(body["data"]) and body["count"] > 0


def test_stored_defectors_are_the_defectors_computed_again(run_site: Site) -> None:
    """What the run stored is what `churnguard defectors` computes for the same date."""
    with run_site.client("li") as c:
        stored = c.get("/api/defectors").json()
    fresh = cli_json(run_site, "defectors", "--as-of", stored["as_of"])
    assert stored["counts"] == fresh["counts"] and stored["counts"]["complete"] > 0

    def key(rows):
        return sorted((r["customer_id"], r["kind"], r["rules"], r["evidence_text"]) for r in rows)

    assert key(stored["data"]) == key(fresh["data"])
    # in the same order, named the same
    assert [(r["customer_id"], r["name"]) for r in stored["data"]] == [(r["customer_id"], r["name"]) for r in fresh["data"]]
    assert all(r["name"] for r in stored["data"])  # the demo names everyone


def test_a_page_of_stored_defectors_is_a_slice_of_the_whole_list(run_site: Site) -> None:
    """The run stores defectors in list order with their places: a page read as a range of
    places is the slice of the list sorted whole (the path a CSM's list still takes)."""
    with run_site.client("li") as c:
        whole = c.get("/api/defectors").json()["data"]
        complete = [r for r in whole if r["kind"] == "complete"]
        partial = [r for r in whole if r["kind"] == "partial"]
        assert len(complete) > 20 and partial and whole == complete + partial
        assert c.get("/api/defectors?limit=7&offset=3").json()["data"] == whole[3:10]
        assert c.get(f"/api/defectors?limit=5&offset={len(whole) - 2}").json()["data"] == whole[-2:]
        assert c.get("/api/defectors?kind=complete&limit=4&offset=2").json()["data"] == complete[2:6]
        assert c.get("/api/defectors?kind=partial&limit=5").json()["data"] == partial[:5]
        assert c.get("/api/defectors?kind=partial&limit=5&offset=1000").json()["data"] == []


def test_one_customer_is_the_cli_json(run_site: Site) -> None:
    with run_site.client("li") as c:
        top = c.get("/api/at-risk?top=1").json()["data"][0]
        r = c.get(f"/api/customers/{top['customer_id']}?limit=10")
        everything = c.get(f"/api/customers/{top['customer_id']}?limit=500").json()["timeline"]
    assert r.status_code == 200, r.text
    # the total is the number of records there are: one page of 500 holds them all
    assert everything["count"] == everything["total"] == r.json()["timeline"]["total"] < 500
    d = r.json()
    assert d == cli_json(run_site, "customer", top["customer_id"], "--limit", "10")
    assert d["risk"]["rank"] == 1 and d["risk"]["value_at_risk"] == pytest.approx(top["value_at_risk"])
    assert [x["text"] for x in d["risk"]["reasons"]] == [x["text"] for x in top["reasons"]]
    # what changed and the likely cause: the same two lists as the worklist's, said by the CLI too
    for key in ("changes", "causes"):
        assert [x["text"] for x in d["risk"][key]] == [x["text"] for x in top[key]]
    assert d["risk"]["causes"]
    # in the workspace's language (zh), as the API answered without ?lang=
    text = runner.invoke(cli, ["customer", top["customer_id"], "--workspace", str(run_site.path)])
    assert text.exit_code == 0 and "可能原因: " + d["risk"]["causes"][0]["text"] in text.stdout.replace("\n", "")
    assert d["profile"]["customer_id"] == top["customer_id"] and d["value"]["rfm_segment"]
    dates = [e["date"] for e in d["timeline"]["data"]]
    assert dates == sorted(dates, reverse=True) and d["timeline"]["count"] == 10 <= d["timeline"]["total"]
    s = d["spend"]
    assert len(s["months"]) == len(s["spend"]) == len(s["baseline"]) == 24 and s["rate_per_month"] > 0


def test_a_csm_sees_their_own_customers_unless_asking_for_all(run_site: Site) -> None:
    with run_site.client("王芳") as c:
        mine = c.get("/api/at-risk?top=1000").json()
        everyone = c.get("/api/at-risk?top=1000&scope=all").json()
        defectors = c.get("/api/defectors").json()
        core = c.get("/api/core-customers?top=1000").json()
        others = [r["customer_id"] for r in everyone["data"] if r["csm"] != "王芳"]
        theirs = [r["customer_id"] for r in mine["data"]]
        assert mine["count"] > 0 and {r["csm"] for r in mine["data"]} == {"王芳"}
        assert everyone["matching"] > mine["matching"] and others
        assert {r["csm"] for r in defectors["data"]} <= {"王芳"}
        assert {r["csm"] for r in c.get("/api/customers?limit=1000").json()["data"]} == {"王芳"}
        # a CSM opens only their own customers: another's is not found (nothing told about it)
        assert c.get(f"/api/customers/{theirs[0]}").status_code == 200
        assert_error(c.get(f"/api/customers/{others[0]}"), 404, "not_found")
        # naming another CSM does not change a CSM's own scope
        assert {r["csm"] for r in c.get("/api/at-risk?csm=张伟").json()["data"]} == {"王芳"}
    with run_site.client("li") as c:
        assert c.get("/api/at-risk?top=1000").json()["matching"] == everyone["matching"]
        assert c.get(f"/api/customers/{others[0]}").status_code == 200
        assert c.get("/api/core-customers?top=1000").json()["core_customers"] >= core["core_customers"]


@pytest.mark.parametrize("path", [
    "/api/at-risk?top=0", "/api/at-risk?top=abc", "/api/at-risk?offset=-1", "/api/at-risk?signal=nonsense",
    "/api/at-risk?min_value=-5", "/api/at-risk?as_of=yesterday", "/api/at-risk?scope=everything",
    "/api/defectors?kind=both", "/api/defectors?limit=0", "/api/core-customers?top=-3",
    "/api/customers/C0000001?limit=0", "/api/customers/C0000001?offset=x", "/api/at-risk?lang=fr",
    "/api/customers/C0000001?lang=",
])
def test_bad_input_is_422_with_a_message(run_site: Site, path: str) -> None:
    with run_site.client("li") as c:
        r = c.get(path)
    err = assert_error(r, 422, r.json()["error"]["code"])
    assert err["code"] in ("invalid_request", "invalid_input")


def test_a_refused_option_is_named_as_the_api_calls_it(run_site: Site) -> None:
    with run_site.client("li") as c:
        r = c.get("/api/at-risk?signal=nonsense")
    err = assert_error(r, 422, "invalid_input")
    assert err["details"]["field"] == "signal" and "unknown rule" in err["details"]["problem"]
    assert err["message"].startswith("signal: ")


@pytest.mark.parametrize("customer_id", ["NOPE", "C0000001' OR '1'='1", "%27%3B DROP TABLE customers; --", "客户"])
def test_an_unknown_customer_is_404_and_the_id_is_only_a_value(run_site: Site, customer_id: str) -> None:
    with run_site.client("li") as c:
        assert_error(c.get(f"/api/customers/{customer_id}"), 404, "not_found")
        assert c.get("/api/at-risk?top=1").status_code == 200  # the tables are still there
        r = c.get("/api/at-risk", params={"segment": customer_id, "csm": customer_id})
        assert r.status_code == 200 and r.json()["count"] == 0


def test_an_as_of_without_a_run_is_not_a_500(run_site: Site) -> None:
    with run_site.client("li") as c:
        for path in ("/api/at-risk", "/api/defectors", "/api/core-customers", "/api/customers/C0000001"):
            assert_error(c.get(path + "?as_of=2001-01-01"), 409, "not_computed")


def test_stored_words_are_said_again_exactly(run_site: Site) -> None:
    """Reasons and evidence said again from their codes and values give the stored sentences (the
    pages rely on it to show them in the reader's language)."""
    from churnguard.compute.detect.words import reword

    with run_site.client("li") as c:
        reasons = [x for r in c.get("/api/at-risk?top=1000").json()["data"] for x in r["reasons"]]
        evidence = [x for r in c.get("/api/defectors").json()["data"] for x in r["evidence"]]
    items = reasons + evidence
    assert len(reasons) > 100 and evidence
    assert [reword(x, "zh") for x in items] == [x["text"] for x in items]  # the demo's language
    english = [reword(x, "en") for x in items]
    assert all(e and e != x["text"] for e, x in zip(english, items, strict=True))


def test_lang_says_reasons_and_evidence_in_that_language(run_site: Site) -> None:
    """``lang=en`` on a Chinese workspace: the same rows, their sentences said in English; a
    language the product does not have is a 422."""
    from churnguard.compute.detect.words import reword

    with run_site.client("li") as c:
        zh = c.get("/api/at-risk?top=50").json()["data"]
        en = c.get("/api/at-risk?top=50&lang=en").json()["data"]
        assert [r["customer_id"] for r in en] == [r["customer_id"] for r in zh]
        assert [x["text"] for r in en for x in r["reasons"]] == [reword(x, "en") for r in zh for x in r["reasons"]]
        assert all(x["text"].isascii() for r in en for x in r["reasons"] if x["code"] != "chain")
        assert [x["text"] for r in en for x in r["causes"]] == [reword(x, "en") for r in zh for x in r["causes"]]
        assert all(x["text"].isascii() for r in en for x in r["causes"] + r["changes"] if "chain" not in x["code"])
        ev = c.get("/api/defectors?limit=20&lang=en").json()["data"]
        assert ev and all(x["text"].isascii() for r in ev for x in r["evidence"])
        one = c.get(f"/api/customers/{zh[0]['customer_id']}?lang=en").json()
        assert [x["text"] for x in one["risk"]["reasons"]] == [x["text"] for x in en[0]["reasons"]]
        assert c.get("/api/core-customers?lang=en").status_code == 200
