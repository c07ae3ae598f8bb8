"""The reference department console (/console/ on dispatch) in Debian's headless Chromium, against the real services
served over loopback HTTP (intake, dispatch and escalation on the embedded broker): a department signs in with its
dev token, sees a new case arrive from the change stream without a reload, signs for it (签收) through the page, and
the API agrees. A foreign unit's case never shows; the page sends nothing to any host but loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from browser_support import RequestLog, artifact, chromium, require_chromium, served
from e2e_support import PHONE, UNIT, report
from playwright.async_api import Browser, Page, Route, expect

import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.devstack import write_tokens
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import (
    DATA_DIR,
    TEST_SECRET,
    DatabaseFactory,
    auth_header,
    running,
    service_settings,
    wait_for,
)
from dispatch.settings import Settings as DispatchSettings
from escalation.settings import Settings as EscalationSettings
from intake.settings import Settings as IntakeSettings

pytestmark = pytest.mark.slow
FOREIGN_UNIT = "GZ-YX-HJ"  # 越秀 ecology bureau: the same matter in a 越秀 street goes there, never to 天河's
YUEXIU_STREET = "440104001"
WAIT_MS = 60_000  # the loaded 2-core machine: a case takes seconds through intake -> broker -> dispatch


@dataclass
class Stack:
    intake: httpx.AsyncClient
    dispatch: httpx.AsyncClient
    escalation: httpx.AsyncClient
    console_url: str
    escalation_url: str
    tokens: dict[str, Any]
    browser: Browser

    def unit_auth(self, unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['departments'][unit]}"}

    async def post(self, region: str = "440106001", description: str | None = None) -> str:
        body = report(f"CONSOLE-{uuid.uuid4().hex[:10]}")
        body["received_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        body["location"]["region_code"] = region
        if description:
            body["description"] = description
        r = await self.intake.post("/v1/hotline/reports", json=body, headers=auth_header(Role.HOTLINE))
        assert r.status_code == 201, r.text
        return str(r.json()["case_id"])


@pytest_asyncio.fixture(scope="module")
async def stack(broker: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("console")
    databases = DatabaseFactory("sqlite", tmp)
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)

    async def settings(cls: type, name: str, **overrides: Any) -> Any:
        url = await databases.new_url(name)
        return service_settings(cls, broker=broker, prefix=prefix, database_url=url, **overrides)

    async with AsyncExitStack() as stack:
        # The real clock: the browser's own time reads the deadlines.
        svc_intake = await stack.enter_async_context(
            running(intake.bootstrap.build, await settings(IntakeSettings, "intake"))
        )
        svc_esc = await stack.enter_async_context(
            running(escalation.bootstrap.build, await settings(EscalationSettings, "escalation"))
        )
        escalation_url = await stack.enter_async_context(served(svc_esc.app))
        dispatch_settings = await settings(DispatchSettings, "dispatch", console_escalation_url=escalation_url)
        svc_dispatch = await stack.enter_async_context(running(dispatch.bootstrap.build, dispatch_settings))
        dispatch_url = await stack.enter_async_context(served(svc_dispatch.app))
        tokens = json.loads(write_tokens(tmp, TEST_SECRET, DATA_DIR).read_text())  # the embedded default's dev tokens
        browser = await stack.enter_async_context(chromium())
        yield Stack(
            svc_intake.client,
            svc_dispatch.client,
            svc_esc.client,
            f"{dispatch_url}/console/",
            escalation_url,
            tokens,
            browser,
        )


async def _refuse(route: Route) -> None:
    await route.fulfill(status=404, content_type="application/json", body='{"error": {"code": "not_found"}}')


@asynccontextmanager
async def signed_in(stack: Stack, unit: str, *, live: str = "stream") -> AsyncIterator[tuple[Page, RequestLog]]:
    """A fresh browser context (its own sessionStorage) with the console open and signed in as ``unit``; with
    ``live="polling"`` the change stream answers 404, as a dispatch without it would."""
    context = await stack.browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    log = RequestLog()
    await context.route("**/*", log.guard)
    if live == "polling":
        await context.route("**/v1/work/stream?*", _refuse)  # the last route added is asked first
    try:
        page = await context.new_page()
        await page.goto(stack.console_url)
        await page.fill("#token", stack.tokens["departments"][unit])
        await page.click("#sign-in")
        await expect(page.locator("#app")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#unit-name")).to_contain_text(unit)
        # Changes come from the unit's server-sent event stream, not from polling (unless the stream is refused).
        await expect(page.locator("#live")).to_have_attribute("data-mode", live, timeout=WAIT_MS)
        yield page, log
    finally:
        await context.close()


async def _clocked(stack: Stack, case_id: str, unit: str) -> bool:
    r = await stack.escalation.get(f"/v1/cases/{case_id}/clocks", headers=stack.unit_auth(unit))
    return r.status_code == 200 and bool(r.json()["clocks"])


async def test_a_department_sees_a_new_case_arrive_without_reload_and_signs_for_it_on_the_page(stack):
    async with signed_in(stack, UNIT) as (page, log):
        await page.evaluate("window.__sameDocument = true")
        case_id = await stack.post()

        row = page.locator(f'#queue tr[data-case-id="{case_id}"]')
        await expect(row).to_have_attribute("data-status", "dispatched", timeout=WAIT_MS)
        assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        await expect(page.locator("#live")).to_have_attribute("data-mode", "stream")

        # The detail shows escalation's clocks (another origin) once escalation has started them.
        await wait_for(lambda: _clocked(stack, case_id, UNIT), timeout=60, interval=0.2)
        await row.click()
        detail = page.locator(f'#detail-body[data-case-id="{case_id}"]')
        await expect(detail).to_be_visible(timeout=WAIT_MS)  # its fetches, on the loaded machine
        await expect(page.locator('#d-clocks tr[data-kind="sign_for"]')).to_have_count(1, timeout=WAIT_MS)
        await expect(page.locator("#d-facts")).to_contain_text("李*")  # the requester, masked
        await expect(page.locator("#d-facts")).not_to_contain_text("李小明")
        await expect(page.locator("#d-facts")).not_to_contain_text(PHONE)

        await page.click("#act-accept")  # 签收
        await expect(detail).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
        await expect(row).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
        await expect(page.locator('#d-history li[data-action="accept"]')).to_have_count(1)
        await expect(page.locator("#act-accept")).to_be_disabled()
        await expect(page.locator("#counts .status-accepted .value")).to_have_text("1", timeout=WAIT_MS)

        r = await stack.dispatch.get(f"/v1/work/cases/{case_id}", headers=stack.unit_auth(UNIT))
        assert r.status_code == 200 and r.json()["status"] == "accepted"
        assert [a["action"] for a in r.json()["actions"]][-1] == "accept"

        shot = artifact("console.png")
        png = await page.screenshot(path=str(shot), full_page=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"

        # 答复 then 办结, through the page too.
        await page.fill("#reply-content", "已责令工地夜间停工，并安排巡查")
        await page.click("#act-reply")
        await expect(detail).to_have_attribute("data-status", "replied", timeout=WAIT_MS)
        await page.click("#act-close")
        await expect(detail).to_have_attribute("data-status", "closed", timeout=WAIT_MS)
        await expect(row).to_have_count(0)  # a closed case leaves the queue ...
        await page.check("#show-done")
        await expect(row).to_have_attribute("data-status", "closed")  # ... unless asked for
        r = await stack.dispatch.get(f"/v1/work/cases/{case_id}", headers=stack.unit_auth(UNIT))
        assert [a["action"] for a in r.json()["actions"]][-3:] == ["accept", "reply", "close"]
        assert r.json()["status"] == "closed"
        assert log.refused == []


async def test_a_case_of_another_unit_never_shows_on_the_page(stack):
    foreign_text = f"越秀区工地夜间施工 {uuid.uuid4().hex[:6]}"
    async with signed_in(stack, UNIT) as (page, _):
        foreign = await stack.post(region=YUEXIU_STREET, description=foreign_text)

        async def in_foreign_queue() -> bool:
            r = await stack.dispatch.get("/v1/work/cases", headers=stack.unit_auth(FOREIGN_UNIT))
            return any(i["case_id"] == foreign for i in r.json()["items"])

        await wait_for(in_foreign_queue, timeout=60, interval=0.2)
        # Dispatched after the foreign one: once it shows, the foreign change has long passed the stream.
        own = await stack.post()
        await expect(page.locator(f'#queue tr[data-case-id="{own}"]')).to_have_count(1, timeout=WAIT_MS)
        assert foreign not in await page.content()

        # Asked for by its id, it does not exist for this unit.
        await page.evaluate(f"location.hash = {json.dumps(foreign)}")
        await expect(page.locator("#app-error")).to_contain_text("not found", timeout=WAIT_MS)
        await expect(page.locator("#detail-body")).to_be_hidden()
        assert foreign_text not in await page.content()

    async with signed_in(stack, FOREIGN_UNIT) as (page, _):  # where it belongs, it shows (and 天河's does not)
        await expect(page.locator(f'#queue tr[data-case-id="{foreign}"]')).to_have_count(1, timeout=WAIT_MS)
        assert own not in await page.content()


async def test_a_case_transferred_away_leaves_the_page_without_reload(stack):
    async with signed_in(stack, UNIT) as (page, _):
        await page.evaluate("window.__sameDocument = true")
        case_id = await stack.post()
        row = page.locator(f'#queue tr[data-case-id="{case_id}"]')
        await expect(row).to_have_attribute("data-status", "dispatched", timeout=WAIT_MS)
        await row.click()
        await expect(page.locator(f'#detail-body[data-case-id="{case_id}"]')).to_be_visible(timeout=WAIT_MS)

        # 移送 through the API (another desk of the unit): the stream says the case is gone for this unit.
        r = await stack.dispatch.post(
            f"/v1/work/cases/{case_id}/transfer",
            json={"to_unit": "GZ-TH-CG", "reason": "属违法建设施工"},
            headers=stack.unit_auth(UNIT),
        )
        assert r.status_code == 200, r.text
        await expect(row).to_have_count(0, timeout=WAIT_MS)
        await expect(page.locator("#detail-body")).to_be_hidden()
        assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"


async def test_the_console_sends_nothing_to_a_host_other_than_loopback(stack):
    async with signed_in(stack, UNIT) as (page, log):
        case_id = await stack.post()
        await page.locator(f'#queue tr[data-case-id="{case_id}"]').click(timeout=WAIT_MS)
        await expect(page.locator(f'#detail-body[data-case-id="{case_id}"]')).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#d-clocks-note, #d-clocks tbody tr").first).to_be_visible(timeout=WAIT_MS)
        # The page's policy stops a call or an image for another host before it leaves the browser.
        outcome = await page.evaluate(
            """async () => {
                const img = document.createElement("img");
                img.src = "http://192.0.2.1/pixel.png";
                document.body.append(img);
                try { await fetch("http://192.0.2.1/v1/work/cases"); return "sent"; } catch (e) { return "blocked"; }
            }"""
        )
        assert outcome == "blocked"
        await page.reload()
        await expect(page.locator("#live")).to_have_attribute("data-mode", "stream", timeout=WAIT_MS)

    assert log.refused == []
    origins = {u.split("/")[2] for u in log.urls}
    dispatch_origin, escalation_origin = stack.console_url.split("/")[2], stack.escalation_url.split("/")[2]
    assert origins == {dispatch_origin, escalation_origin}, origins
    assert any("/v1/work/stream?" in u for u in log.urls)
    assert any(f"/v1/cases/{case_id}/clocks" in u for u in log.urls)


async def test_supervision_issued_against_the_unit_shows_on_its_page(stack):
    async with signed_in(stack, UNIT) as (page, _):
        case_id = await stack.post()
        await expect(page.locator(f'#queue tr[data-case-id="{case_id}"]')).to_have_count(1, timeout=WAIT_MS)
        await wait_for(lambda: _clocked(stack, case_id, UNIT), timeout=60, interval=0.2)  # escalation knows it
        body = {
            "unit": UNIT,
            "case_ids": [case_id],
            "rung": "supervise",
            "reason": "public_concern_unaddressed",
            "note": "群众反映强烈，限期整改",
            "rectification_deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        }
        r = await stack.escalation.post("/v1/supervision/actions", json=body, headers=auth_header(Role.SUPERVISOR))
        assert r.status_code == 201, r.text
        # It reaches the page from escalation's list (another origin), without a reload.
        issued = page.locator(f'#supervision tr[data-action-id="{r.json()["id"]}"]')
        await expect(issued).to_have_attribute("data-case-id", case_id, timeout=WAIT_MS)
        await expect(issued).to_contain_text("督办 supervise")
        # The case's own line says so (the stream's queue item), and so do the counts.
        tag = page.locator(f'#queue tr[data-case-id="{case_id}"] .tag.supervision')
        await expect(tag).to_contain_text("督办 supervise", timeout=WAIT_MS)
        await expect(page.locator("#counts .rung-supervise .value")).to_have_text("1", timeout=WAIT_MS)


async def test_where_no_stream_answers_the_page_polls_and_still_sees_new_cases(stack):
    async with signed_in(stack, UNIT, live="polling") as (page, log):
        await page.evaluate("window.__sameDocument = true")
        case_id = await stack.post()
        await expect(page.locator(f'#queue tr[data-case-id="{case_id}"]')).to_have_count(1, timeout=WAIT_MS)
        assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"

        async def asks_for_changes_only() -> bool:  # once it holds a case, each poll asks only for what changed since
            return any("/v1/work/cases?sort=-updated" in u and "updated_since=" in u for u in log.urls)

        await wait_for(asks_for_changes_only, timeout=60, interval=0.5)


async def test_a_token_the_services_refuse_leaves_the_page_signed_out(stack):
    context = await stack.browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(stack.console_url)
        forged = stack.tokens["departments"][UNIT][:-4] + "AAAA"  # a unit's token with its signature broken
        await page.fill("#token", forged)
        await page.click("#sign-in")
        await expect(page.locator("#signin-error")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#app")).to_be_hidden()
        assert await page.evaluate("sessionStorage.length") == 0
        await page.fill("#token", stack.tokens["supervisor"])  # valid, but not a unit's
        await page.click("#sign-in")
        await expect(page.locator("#signin-error")).to_contain_text("not a unit's token", timeout=WAIT_MS)
        await expect(page.locator("#app")).to_be_hidden()
    finally:
        await context.close()
