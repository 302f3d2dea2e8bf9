"""/api/investigations against a served simulated company: the CLI's JSON, roles (a CSM records only
their own customers), 422 naming the field, 404 for what is not there."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from tests.present.live import Site
from tests.present.server.test_api import assert_error

runner = CliRunner()


def cli_json(site: Site, *args: str) -> dict:
    r = runner.invoke(cli, [*args, "--workspace", str(site.path), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_investigations_through_the_api(demo_site: Site) -> None:
    with demo_site.client("li") as c:
        r = c.post("/api/investigations", json={"period": "2026-Q3", "seed": 5, "partial_sample": 1})
        assert r.status_code == 201, r.text
        started = r.json()
        inv = started["investigation_id"]
        assert started["count"] == len(started["data"]) > 0 and started["partial_sample"] == 1
        listed = c.get("/api/investigations").json()
        assert listed == cli_json(demo_site, "investigate", "list")
        assert listed["data"][0]["investigation_id"] == inv and listed["data"][0]["done"] == 0
        rows = c.get(f"/api/investigations/{inv}/interviews").json()
        assert rows == cli_json(demo_site, "investigate", "interviews", inv)
        assert [x["customer_id"] for x in rows["data"]] == [x["customer_id"] for x in started["data"]]
        mine = c.get(f"/api/investigations/{inv}/interviews", params={"interviewer": "王芳", "pending": True}).json()
        assert mine["count"] > 0 and {x["interviewer"] for x in mine["data"]} == {"王芳"}

        # the CSM 王芳 records one of her own interviews, not another CSM's customer
        own = mine["data"][0]["customer_id"]
        other = next(x["customer_id"] for x in rows["data"] if x["interviewer"] not in ("王芳", None))
    with demo_site.client("王芳") as c:
        r = c.post(f"/api/investigations/{inv}/interviews/{other}", json={"reason": "price"})
        assert_error(r, 403, "forbidden")
        r = c.post(f"/api/investigations/{inv}/interviews/{own}",
                   json={"reason": "价格", "competitor": "优选商城", "recoverable": True, "attempts": 2, "on": "2026-09-30"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["replaced"] is False and body["data"][0]["reason"] == "price" and body["data"][0]["status"] == "done"
        r = c.post(f"/api/investigations/{inv}/interviews/{own}", json={"reason": "service"})
        assert r.status_code == 200 and r.json()["replaced"] is True
        # a CSM may not start an investigation or add an action
        assert_error(c.post("/api/investigations", json={"period": "2026-Q3"}), 403, "forbidden")
        assert_error(c.post(f"/api/investigations/{inv}/actions",
                            json={"reason": "price", "action": "x", "owner": "y", "due": "2026-10-01"}), 403, "forbidden")

    with demo_site.client("li") as c:
        # 422 naming the field: a bad reason (the service's check), a bad body (the schema's)
        err = assert_error(c.post(f"/api/investigations/{inv}/interviews/{own}", json={"reason": "cheap"}),
                           422, "invalid_input")
        assert err["details"]["field"] == "reason" and "price" in err["message"]
        err = assert_error(c.post(f"/api/investigations/{inv}/interviews/{own}",
                                  json={"reason": "price", "attempts": -1}), 422, "invalid_request")
        assert any("attempts" in p["loc"] for p in err["details"])
        err = assert_error(c.post("/api/investigations", json={"period": "2026-Q7"}), 422, "invalid_input")
        assert err["details"]["field"] == "period"
        assert_error(c.post("/api/investigations", json={"period": "2026-Q3", "extra": 1}), 422, "invalid_request")
        assert_error(c.get("/api/investigations/nope"), 404, "not_found")
        assert_error(c.post(f"/api/investigations/{inv}/interviews/C9999999", json={"reason": "price"}),
                     404, "not_found")
        r = c.post(f"/api/investigations/{inv}/actions",
                   json={"reason": "service", "action": "second-line support", "owner": "李明", "due": "2026-08-01"})
        assert r.status_code == 201, r.text
        assert r.json()["action_id"] == f"{inv}-a1"
        review = c.get(f"/api/investigations/{inv}").json()
    assert review == cli_json(demo_site, "investigate", "review", inv)
    assert review["investigation"]["done"] == 1 and review["data"][0]["reason"] == "service"
    assert review["actions"][0]["action"] == "second-line support" and review["actions"][0]["measurable"] is False
    assert review["actions"][0]["churn_before"] is not None


def test_reading_needs_a_token(demo_site: Site) -> None:
    with demo_site.client() as c:
        assert_error(c.get("/api/investigations"), 401, "unauthorized")
        assert_error(c.post("/api/investigations", json={"period": "2026-Q3"}), 401, "unauthorized")
