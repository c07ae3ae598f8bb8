"""The PII scan (DOMAIN.md "Privacy"; GZ Art. 15, 20; SZ Art. 18, 19): known requesters' names and phone numbers,
also typed into the description with an ID number and an e-mail address, go through the whole flow on the real
broker with all four services: a hotline report, an Open311 request (with the e-mail, device and account ids Open311
may carry) and a whistleblower's report; the departments accept, reply and close; the hotline's return visit notes a
phone number. Then every place is read back raw: every
topic from the beginning, every log line, every `/metrics` body, every database (the SQLite files' bytes; every row
of every PostgreSQL table as text) and every GET of the four OpenAPI documents for every role but the hotline (and
for the hotline too outside intake). None of them holds any of the values. The originals stay in intake, encrypted,
and reach the hotline's own view only (checked too, so the scan knows what it is looking for).
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from e2e_support import SERVICES
from pii_scan import captured_logs, expand, get_routes, leaks, needles, postgres_rows, responses, sqlite_files
from pii_scan import topic_messages as read_topics

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, running, service_settings, wait_for

NAME, PHONE, PHONE_TOO = "王大锤", "13912345678", "13800001111"
ID_NUMBER, EMAIL = "440106199001011235", "wang.dachui@example.com"
O311_NAME, O311_PHONE = ("赵", "铁柱"), "13822223333"
# Open311's other contacts of the requester: kept (sealed) in intake, shown to the hotline only.
O311_EMAIL, O311_DEVICE, O311_ACCOUNT = "tiezhu.zhao@example.com", "android-3f9c2b7e", "cityapp-user-88123"
WB_NAME, WB_PHONE = "钱多多", "13655554444"  # a whistleblower (举报人)
VISIT_PHONE = "13766667777"
SECRETS = [
    NAME, NAME[1:], PHONE, PHONE_TOO, ID_NUMBER, EMAIL, "".join(O311_NAME), O311_NAME[1], O311_PHONE,
    WB_NAME, WB_NAME[1:], WB_PHONE, VISIT_PHONE, O311_EMAIL, O311_DEVICE, O311_ACCOUNT,
]  # fmt: skip
O311_KEY = "city-app-key-" + "k" * 20
NOISE, LIGHT, FRAUD = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-GA"  # the units the three reports route to (routing.json)
COORDINATION = "GZ-TH-001-ZZ"
STREET = "440106001"


def hotline_report(category: str, description: str, name: str, phone: str) -> dict:
    return {
        "external_id": f"PII-{uuid.uuid4().hex[:8]}",
        "received_at": "2026-11-20T09:30:00+08:00",
        "kind": "complaint",
        "category": category,
        "description": description,
        "location": {"region_code": STREET, "address": "天河路1号"},
        "requester": {"name": name, "phone": phone, "anonymous": False},
    }


async def _in_queue(dispatch, unit: str, case_id: str) -> bool:  # type: ignore[no-untyped-def]
    r = await dispatch.get(f"/v1/work/cases/{case_id}", headers=auth_header(Role.DEPARTMENT, unit))
    return r.status_code == 200


async def _handle(svcs: dict, unit: str, case_id: str) -> None:
    d = svcs["dispatch"].client
    await wait_for(lambda: _in_queue(d, unit, case_id), timeout=30)
    for action, body in (
        ("accept", {}),
        ("progress", {"note": "已到现场核实"}),
        ("reply", {"content": "已处理完毕", "resolved": True}),
        ("close", {}),
    ):
        r = await d.post(f"/v1/work/cases/{case_id}/{action}", json=body, headers=auth_header(Role.DEPARTMENT, unit))
        assert r.status_code in (200, 201), (action, r.text)


async def _coordinated(svcs: dict, unit: str, case_id: str) -> None:
    """The department asks for coordination (提请协调); the street centre names it the lead unit again."""
    d = svcs["dispatch"].client
    await wait_for(lambda: _in_queue(d, unit, case_id), timeout=30)
    r = await d.post(
        f"/v1/work/cases/{case_id}/refer",
        json={"reason": "需要供电部门配合"},
        headers=auth_header(Role.DEPARTMENT, unit),
    )
    assert r.status_code == 200, r.text
    centre = auth_header(Role.COORDINATION, COORDINATION)
    view = await d.get(f"/v1/work/cases/{case_id}", headers=centre)
    assert view.status_code == 200 and view.json()["requester"]["phone"] == "138****3333", view.text
    body = {"lead_unit": unit, "assisting_units": [], "instructions": "请城管牵头处理"}
    r = await d.post(f"/v1/work/cases/{case_id}/coordinate", json=body, headers=centre)
    assert r.status_code == 200, r.text


async def _hotline_view(svcs: dict, case_id: str) -> dict:
    r = await svcs["intake"].client.get(f"/v1/cases/{case_id}", headers=auth_header(Role.HOTLINE))
    assert r.status_code == 200, r.text
    return r.json()


async def _run_the_flow(svcs: dict) -> dict[str, str]:
    """The three reports through the flow; returns their case ids."""
    intake = svcs["intake"].client
    noise = hotline_report(
        "env.noise.construction",
        f"工地夜间施工噪声扰民。我叫{NAME}，请回电{PHONE}或{PHONE_TOO}，身份证{ID_NUMBER}，邮箱{EMAIL}",
        NAME,
        PHONE,
    )
    r = await intake.post("/v1/hotline/reports", json=noise, headers=auth_header(Role.HOTLINE))
    assert r.status_code == 201, r.text
    ids = {"noise": r.json()["case_id"]}
    r = await intake.post(
        "/open311/v2/requests.json",
        data={
            "api_key": O311_KEY,
            "service_code": "urban.street_light",
            "description": f"路灯不亮一周了，我是{''.join(O311_NAME)}，电话{O311_PHONE}",
            "address_id": STREET,
            "address_string": "天河路2号",
            "first_name": O311_NAME[0],
            "last_name": O311_NAME[1],
            "phone": O311_PHONE,
            "email": O311_EMAIL,
            "device_id": O311_DEVICE,
            "account_id": O311_ACCOUNT,
        },
    )
    assert r.status_code == 201, r.text
    ids["light"] = r.json()[0]["service_request_id"]
    clue = hotline_report("clue.fraud", "有人冒充公检法打电话要求转账", WB_NAME, WB_PHONE)
    r = await intake.post("/v1/hotline/reports", json=clue, headers=auth_header(Role.HOTLINE))
    assert r.status_code == 201, r.text
    ids["clue"] = r.json()["case_id"]

    await _handle(svcs, NOISE, ids["noise"])
    await _coordinated(svcs, LIGHT, ids["light"])
    await _handle(svcs, LIGHT, ids["light"])
    await wait_for(lambda: _in_queue(svcs["dispatch"].client, FRAUD, ids["clue"]), timeout=30)
    for key in ("noise", "light"):

        async def closed(case_id: str = ids[key]) -> bool:
            return (await _hotline_view(svcs, case_id))["status"] == "closed"

        await wait_for(closed, timeout=30)
        r = await intake.post(
            f"/v1/cases/{ids[key]}/visits",
            headers=auth_header(Role.HOTLINE),
            json={"contacted": True, "satisfaction": "satisfied", "comment": f"满意。以后可打{VISIT_PHONE}找我"},
        )
        assert r.status_code == 201, r.text

    async def loops_complete() -> bool:
        for key in ("noise", "light"):
            rec = await svcs["audit"].client.get(f"/v1/records/{ids[key]}", headers=auth_header(Role.SUPERVISOR))
            if rec.status_code != 200 or not rec.json()["loop"]["complete"]:
                return False
        return True

    await wait_for(loops_complete, timeout=30)
    return ids


async def _every_get(svcs: dict, ids: dict[str, str]) -> list[tuple[str, int, bytes]]:
    """Every GET route of the four services, for every caller but the hotline (the hotline too outside intake)."""
    values = {
        "case_id": list(ids.values()),
        "service_request_id": list(ids.values()),
        "external_id": ["none"],
        "service_code": ["env.noise.construction", "urban.street_light", "clue.fraud"],
        "code": [NOISE, LIGHT, FRAUD, STREET],
    }
    params = {"from": "2026-11-01", "to": "2026-12-31", "month": "2026-11"}
    callers = {
        **{f"department {u}": auth_header(Role.DEPARTMENT, u) for u in (NOISE, LIGHT, FRAUD)},
        "coordination": auth_header(Role.COORDINATION, COORDINATION),
        **{str(role): auth_header(role) for role in (Role.SUPERVISOR, Role.ADMIN, Role.OPS, Role.GRID)},
        "anonymous": {},
    }
    out = []
    for name, svc in svcs.items():
        paths = [p for route in get_routes(svc.app.openapi()) for p in expand(route, values)]
        who = callers if name == "intake" else {**callers, "hotline": auth_header(Role.HOTLINE)}
        out += await responses(svc.client, paths, who, params)
    return out


async def test_no_name_phone_id_number_or_e_mail_leaves_intake_in_the_clear(broker, topic_prefix, databases):
    urls = {name: await databases.new_url(name) for name, _, _ in SERVICES}
    overrides = {"intake": {"open311_api_keys": {O311_KEY: "city-app"}}}
    found: list[tuple[str, bytes]] = []
    with captured_logs() as logs:
        async with AsyncExitStack() as stack:
            svcs = {}
            for name, build, settings_cls in SERVICES:
                settings = service_settings(
                    settings_cls,
                    broker=broker,
                    prefix=topic_prefix,
                    database_url=urls[name],
                    **overrides.get(name, {}),
                )
                svcs[name] = await stack.enter_async_context(running(build, settings, clock=ManualClock()))
            ids = await _run_the_flow(svcs)

            # The originals are in intake, for the hotline: the scan below looks for values that exist.
            noise = await _hotline_view(svcs, ids["noise"])
            assert {k: noise["requester"].get(k) for k in ("name", "phone", "email")} == {
                "name": NAME,
                "phone": PHONE,
                "email": None,
            }
            assert PHONE_TOO in noise["description"] and ID_NUMBER in noise["description"]
            assert VISIT_PHONE in noise["visits"][0]["comment"]
            light = (await _hotline_view(svcs, ids["light"]))["requester"]
            assert (light["email"], light["device_id"], light["account_id"]) == (O311_EMAIL, O311_DEVICE, O311_ACCOUNT)

            answers = await _every_get(svcs, ids)
            ok = [(where, body) for where, status, body in answers if status == 200]
            assert {w.split(" GET ")[1].split("/")[1] for w, _ in ok} >= {"v1", "open311", "metrics"}
            assert any("/v1/work/cases/" in w and b"139****5678" in body for w, body in ok)
            # A whistleblower's identity reaches no department, not even masked (GZ Art. 20).
            clue = await svcs["dispatch"].client.get(
                f"/v1/work/cases/{ids['clue']}", headers=auth_header(Role.DEPARTMENT, FRAUD)
            )
            assert clue.json()["requester"] is None and "钱*" not in clue.text
            found += ok
            messages = await read_topics(broker, [topic_prefix + t for t in topics.ALL])
            assert len(messages) >= 15  # the three cases' events on the three service topics
            found += [(f"topic message {where}", m) for where, m in messages]
        found += [(f"log line {i}", line.encode()) for i, line in enumerate(logs.lines)]
        assert any("case received" in line for line in logs.lines)
    for name, url in urls.items():
        tables = sqlite_files(url) if url.startswith("sqlite") else await postgres_rows(url)
        assert tables and any(blob for _, blob in tables)
        found += [(f"{name} database {where}", blob) for where, blob in tables]

    leaked = leaks(found, needles(SECRETS))
    assert not leaked, "personal data found in the clear:\n" + "\n".join(leaked)
