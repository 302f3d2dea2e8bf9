"""Fuzzing the API from its own OpenAPI document: no input gives a 5xx (issue 17).

Every operation of ``/api/openapi.json`` gets generated requests — values that fit its schema
and values that do not (schemathesis draws both from the document with Hypothesis) — as a
signed-in user of each role, and every answer must be below 500. The reading routes are fuzzed
against a served, computed demo; the import (the one route that changes data) against a
throwaway workspace of its own. Examples are bounded and drawn with a fixed seed
(``derandomize``), so a run is repeatable and ``make test`` stays short.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis

from tests.present.live import Site, make_site, serve_in_thread

#: examples per operation and role: enough to walk every parameter's kinds, bounded for make test
EXAMPLES = 40


def _operations(site: Site) -> list:
    schema = schemathesis.openapi.from_url(f"{site.base_url}/api/openapi.json")
    return [r.ok() for r in schema.get_all_operations()]


def _fuzz(site: Site, operation, who: str) -> list[str]:
    """Run the generated requests of ``operation`` as ``who``; return the 5xx answers seen."""
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {site.tokens[who]}"}

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck), phases=[hypothesis.Phase.generate])
    @hypothesis.given(case=hypothesis.strategies.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)))
    def run(case) -> None:
        r = case.call(base_url=site.base_url, headers=headers, timeout=120)
        if r.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} query={case.query!r} -> {r.status_code}: "
                            f"{r.text[:300]}")

    run()
    return failures


@pytest.fixture(scope="module")
def computed(run_site: Site) -> Iterator[Site]:
    """The small simulated company after ``churnguard run``, served (a copy of this module's own)."""
    yield run_site


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "王芳"])  # a manager reads what an admin reads
def test_no_request_to_a_reading_route_gives_a_server_error(computed: Site, who: str) -> None:
    ops = [op for op in _operations(computed) if op.method.upper() == "GET"]
    assert len(ops) >= 10, [op.path for op in ops]
    failures = [f for op in ops for f in _fuzz(computed, op, who)]
    assert not failures, "\n".join(failures[:20])


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "王芳"])
def test_no_import_request_gives_a_server_error(tmp_path: Path, who: str) -> None:
    with serve_in_thread(make_site(tmp_path / "throwaway")) as site:
        ops = [op for op in _operations(site) if op.method.upper() != "GET"]
        assert ops, "the import route is in the document"
        failures = [f for op in ops for f in _fuzz(site, op, who)]
    assert not failures, "\n".join(failures[:20])
