"""Take the README's screenshot: the overview page in Chinese, on a simulated company.

Usage: PYTHONPATH=src python bench/screenshot.py [--out docs/img/overview-zh.png] [--customers 3000]
       [--workspace DIR] [--chromium /usr/bin/chromium]

Builds a demo workspace in a temporary folder (or uses --workspace), adds a user with a random
password, stores the figures, starts `churnguard serve` on a free local port and photographs
the overview with Playwright and Debian's Chromium. The PNG must stay under 300 KB.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from bench_web import USER, Server, prepare, refresh  # noqa: E402

LIMIT = 300_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "overview-zh.png")
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    tmp = tempfile.TemporaryDirectory(prefix="cg-shot-")
    path = args.workspace or Path(tmp.name) / "demo"
    password = secrets.token_urlsafe(16)
    prepare(path, args.customers, password)
    refresh(path)
    server = Server(path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}).new_page()
            page.goto(server.url + "/login")
            page.fill("#user_id", USER)
            page.fill("#password", password)
            page.click("form.form button[type=submit]")
            page.wait_for_selector("[data-chart=trend] .main-svg .scatterlayer")
            page.wait_for_selector("[data-chart=retention] .main-svg .scatterlayer")
            # the signed-in user's name is the benchmark's; show a plain one in the picture
            page.evaluate("document.querySelector('.who').textContent = 'admin · 管理员'")
            page.wait_for_timeout(300)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        server.stop()
        tmp.cleanup()
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1000:.0f} KB)")
    if size > LIMIT:
        raise SystemExit(f"{args.out} is {size / 1000:.0f} KB; keep it under {LIMIT / 1000:.0f} KB")
    if not re.search(r"\.png$", str(args.out)):
        raise SystemExit("write a .png")


if __name__ == "__main__":
    main()
