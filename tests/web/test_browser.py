"""Real-browser paths (Debian chromium via Playwright) against a real server thread and the embedded queue:
the auditor uploads and submits, head office approves, the dealer uploads a proof photo."""
from __future__ import annotations

import os
import re
import threading
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import PASSWORDS, make_app, photo_bytes
from scenario import build_world

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    from web.jobs.queue import start_embedded_worker

    tmp = tmp_path_factory.mktemp("browser")
    app = make_app(tmp)
    world = build_world(app, photo_bytes)  # set up with QUEUE=immediate; the browser then uses the real queue
    app.config["QUEUE"] = "embedded"
    start_embedded_worker(app, threads=1)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}", app, world, tmp
    srv.shutdown()
    app.extensions["embedded_worker"].stop()
    app.extensions["db"].dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems
    yield pg
    ctx.close()


def login(page, base, user):
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def test_auditor_uploads_and_submits(page, server):
    base, app, world, tmp = server
    login(page, base, "auditor")
    page.click("#new-audit")
    page.click("#new-audit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/audits/\d+$"))
    files = []
    for i in range(3):
        f = tmp / f"site-{i}.jpg"
        f.write_bytes(photo_bytes(40 + i))
        files.append(str(f))
    bad = tmp / "broken.jpg"
    bad.write_bytes(b"<html>not a photo</html>")
    page.select_option("#upload-area", "facade")
    page.set_input_files("#file-input", files + [str(bad)])
    # (locator waits, not wait_for_function: the page's CSP forbids evaluating strings)
    expect(page.locator("#upload-list li.ok, #upload-list li.bad")).to_have_count(4)
    assert page.locator("#upload-list li.ok").count() == 3
    assert "broken.jpg" in page.locator("#upload-list li.bad").inner_text()
    # live progress: the page reloads itself once every photo is analysed
    expect(page.locator(".photo-status .tag.ok")).to_have_count(3, timeout=300_000)
    assert page.locator("#score-total").inner_text() != "–"
    page.click("#item-EXT-04 details summary")
    page.select_option("#item-EXT-04 select[name=status]", "fail")
    page.fill("#item-EXT-04 input[name=reason]", "门口有垃圾")
    page.click("#item-EXT-04 .override-form button")
    page.wait_for_load_state()
    assert "门口有垃圾" in page.locator("#item-EXT-04").inner_text()
    page.click("#submit-audit")
    page.wait_for_load_state()
    assert "已提交" in page.locator("#audit-status").inner_text()
    assert "submitted" in page.locator("#trail").inner_text()
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_head_office_approves(page, server):
    base, app, world, tmp = server
    from web.db import get_db
    from web.models import Audit

    with app.app_context():
        submitted = get_db(app).session().execute(select(Audit.id).where(Audit.status == "submitted")).scalars().all()
    if not submitted:
        pytest.skip("needs the auditor test's submitted audit")
    audit_id = submitted[0]
    login(page, base, "head")
    page.click(f"#review-queue a[href='/audits/{audit_id}']")
    page.wait_for_url(re.compile(rf"/audits/{audit_id}$"))
    page.fill("#review-box input[name=comment]", "同意")
    page.click("#approve")
    page.wait_for_load_state()
    with app.app_context():
        assert get_db(app).session().get(Audit, audit_id).status == "approved"
    page.goto(f"{base}/dashboard")
    expect(page.locator("#dash-data")).to_have_attribute("data-rendered", "1")
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_dealer_uploads_a_proof_photo(page, server):
    base, app, world, tmp = server
    login(page, base, "dealer")
    page.goto(f"{base}/dealer/sites/{world.sa}")
    page.click(f"#actions a[href='/actions/{world.xa}']")
    page.wait_for_url(re.compile(rf"/actions/{world.xa}$"))
    proof = tmp / "fixed.jpg"
    proof.write_bytes(photo_bytes(77))
    page.set_input_files("#proof-input", str(proof))
    page.click("#proof-submit")
    page.wait_for_load_state()
    assert page.locator("#action-status").count() == 1, page.content()[:3000]
    assert "待验证" in page.locator("#action-status").inner_text()
    # the proof is checked in the background; the page reloads when the verdict is in
    page.wait_for_selector(".proof-verdict", timeout=300_000)
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems
