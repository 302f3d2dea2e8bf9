"""The listening commands as a user types them: errors name the option, the estimates are
labelled, Chinese output, and --json identical to the use case's dict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service import complaints as csvc
from churnguard.store import Workspace
from tests.conftest import call
from tests.service.test_listen import AS_OF, sample_workspace, settle

runner = CliRunner()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        sample_workspace(ws)
    settle(path)
    return path


def run(shop: Path, *args: str) -> object:
    return runner.invoke(app, [*args, "-w", str(shop), "--as-of", AS_OF.isoformat()])


def test_errors_name_the_option(shop: Path) -> None:
    r = run(shop, "survey", "sample", "--size", "100", "--lang", "en")
    assert r.exit_code != 0 and "--size: only 39 living customers may be asked" in r.output
    r = run(shop, "survey", "sample", "--size", "5", "--stratify", "colour", "--lang", "en")
    assert r.exit_code != 0 and "--stratify" in r.output and "Traceback" not in r.output
    r = run(shop, "survey", "report", "--by", "colour", "--lang", "en")
    assert r.exit_code != 0 and "--by" in r.output
    r = run(shop, "profile-defectors", "--from", "2026-06-01", "--to", "2026-01-01", "--lang", "en")
    assert r.exit_code != 0 and "--from: must be before the end of the window, 2026-01-01" in r.output


def test_sample_in_chinese_and_json(shop: Path) -> None:
    r = run(shop, "survey", "sample", "--size", "6", "--stratify", "segment", "--seed", "2", "--dry-run", "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "试运行，未保存" in r.output and "随机种子 2" in r.output
    r = run(shop, "survey", "sample", "--size", "6", "--seed", "2", "--json")
    d = json.loads(r.stdout)
    assert d["recorded"] and d["count"] == 6 and len({x["customer_id"] for x in d["data"]}) == 6


def test_complaints_label_the_estimates(shop: Path) -> None:
    r = run(shop, "complaints", "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "估计（按设置推算，并非测量）" in r.output
    r = run(shop, "complaints", "--lang", "en")
    assert "ESTIMATE from settings, not a measurement" in r.output
    d = json.loads(run(shop, "complaints", "--json").stdout)
    assert d == json.loads(json.dumps(call(shop, csvc.complaints, csvc.ComplaintOptions(), as_of=AS_OF).to_dict(),
                                      default=str))
    assert {"silent_majority_estimate", "word_of_mouth_estimate", "estimates_basis", "estimates_note"} <= set(d)
