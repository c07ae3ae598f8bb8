"""Who may call each route of the four services: the policy table the authorization matrix checks the APIs against.

Every operation of the four OpenAPI documents has one entry, keyed ``(service, METHOD, path)``; the matrix test fails
for an operation without one (and for an entry whose operation is gone), so a new route cannot skip the check. An entry
states the roles admitted (``PUBLIC``: no bearer token at all; ``ANY``: every authenticated role), the roles whose
access depends on the object (``scoped``: a unit sees only its own unit's cases and actions, a grid system only the
reports it submitted), which seeded object the call is made on, and the request it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from caseflow_common.auth import Role

PUBLIC: frozenset[Role] | None = None  # no bearer token needed (health, metrics, the public Open311 façade)
ANY: frozenset[Role] = frozenset()  # any authenticated role

Seed = dict[str, Any]  # what the stack seeded: objects by name (see security_stack.Seeded.objects)
Body = dict[str, Any] | Callable[[Seed], dict[str, Any]] | None


@dataclass(frozen=True)
class Who:
    """The two principals of a role: ``own`` holds the seeded objects, ``foreign`` is another unit (grid system)."""

    own: tuple[str, str | None]  # (subject, unit)
    foreign: tuple[str, str | None] | None = None


# Units of the demo directory (data/demo/units.json): 天河's ecology bureau and 五山 street office are departments,
# 五山's street centre and 海珠's district office are coordination institutions of different areas.
DEPT_A, DEPT_B = "GZ-TH-HJ", "GZ-TH-001-JD"
COORD_K, COORD_FOREIGN = "GZ-TH-001-ZZ", "GZ-HZ-PA"
GRID_OWN, GRID_FOREIGN = "grid-system-1", "grid-system-2"

PRINCIPALS: dict[Role, Who] = {
    Role.HOTLINE: Who(("hotline-operator", None)),
    Role.GRID: Who((GRID_OWN, None), (GRID_FOREIGN, None)),
    Role.DEPARTMENT: Who(("dept-a-clerk", DEPT_A), ("dept-b-clerk", DEPT_B)),
    Role.COORDINATION: Who(("centre-k-clerk", COORD_K), ("centre-foreign-clerk", COORD_FOREIGN)),
    Role.SUPERVISOR: Who(("supervisor", None)),
    Role.ADMIN: Who(("admin", None)),
    Role.OPS: Who(("ops", None)),
}


@dataclass(frozen=True)
class Listed:
    """A listing scoped to the caller: the own principal finds ``obj``'s ``key`` among ``items``, the foreign not."""

    obj: str | dict[Role, str]
    key: str = "case_id"
    param: str = "case_id"  # which of the object's values is listed
    items: str = "items"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role] | None
    scoped: frozenset[Role] = frozenset()
    obj: str | dict[Role, str] = "case"  # the seeded object whose values fill the path (per role where it differs)
    body: Body = None
    form: Body = None
    query: dict[str, Any] = field(default_factory=dict)
    listed: Listed | None = None

    def obj_for(self, role: Role | None) -> str:
        if isinstance(self.obj, str):
            return self.obj
        return self.obj.get(role, next(iter(self.obj.values()))) if role is not None else next(iter(self.obj.values()))


def roles(*rs: Role) -> frozenset[Role]:
    return frozenset(rs)


D, C, H, G, S, A = Role.DEPARTMENT, Role.COORDINATION, Role.HOTLINE, Role.GRID, Role.SUPERVISOR, Role.ADMIN
UNITS = roles(D, C)
TEXT = "安全测试：检查权限"


def _hotline_report(_: Seed) -> dict[str, Any]:
    from security_stack import hotline_report

    return hotline_report("env.noise.construction")


def _grid_report(_: Seed) -> dict[str, Any]:
    from security_stack import grid_report

    return grid_report("440106001001-02")


def _action(seed: Seed) -> dict[str, Any]:
    from security_stack import manual_action

    return manual_action(DEPT_A, seed["case"]["case_id"])


OPS_ROUTES = {"/healthz", "/readyz", "/metrics"}


def _ops(service: str) -> dict[tuple[str, str, str], Rule]:
    return {(service, "GET", path): Rule(PUBLIC) for path in OPS_ROUTES}


def _open311(fmt: str) -> dict[tuple[str, str, str], Rule]:
    """The public Open311 façade, at each format's extension (GeoReport v2: .json and .xml)."""
    return {
        ("intake", "GET", f"/open311/discovery.{fmt}"): Rule(PUBLIC),
        ("intake", "GET", f"/open311/v2/discovery.{fmt}"): Rule(PUBLIC),
        ("intake", "GET", f"/open311/v2/services.{fmt}"): Rule(PUBLIC),
        ("intake", "GET", f"/open311/v2/services/{{service_code}}.{fmt}"): Rule(PUBLIC, obj="category"),
        ("intake", "POST", f"/open311/v2/requests.{fmt}"): Rule(
            PUBLIC, form={"service_code": "urban.garbage", "description": TEXT, "address_id": "440106001"}
        ),
        ("intake", "GET", f"/open311/v2/requests.{fmt}"): Rule(PUBLIC),
        ("intake", "GET", f"/open311/v2/requests/{{service_request_id}}.{fmt}"): Rule(PUBLIC, obj="case"),
    }


def _work(action: str, body: Body = None, who: frozenset[Role] = roles(D)) -> Rule:
    return Rule(who, scoped=who, obj=f"work.{action}", body=body)


POLICY: dict[tuple[str, str, str], Rule] = {
    **_ops("intake"),
    ("intake", "GET", "/v1/categories"): Rule(ANY),
    ("intake", "POST", "/v1/hotline/reports"): Rule(roles(H), body=_hotline_report),
    ("intake", "POST", "/v1/grid/reports"): Rule(roles(G), body=_grid_report),
    ("intake", "GET", "/v1/cases/{case_id}"): Rule(roles(H, G), scoped=roles(G), obj={H: "case", G: "grid"}),
    ("intake", "POST", "/v1/cases/{case_id}/visits"): Rule(
        roles(H),
        obj="closed",
        body={"contacted": True, "satisfaction": "satisfied", "visited_at": "2026-11-20T09:30:00+08:00"},
    ),
    ("intake", "GET", "/v1/grid/reports"): Rule(roles(G), scoped=roles(G), listed=Listed("grid")),
    ("intake", "GET", "/v1/grid/reports/{external_id}"): Rule(roles(G), scoped=roles(G), obj="grid"),
    **_open311("json"),
    **_open311("xml"),
    **_ops("dispatch"),
    ("dispatch", "GET", "/v1/departments"): Rule(ANY),
    ("dispatch", "GET", "/v1/departments/{code}"): Rule(ANY, obj="unit"),
    ("dispatch", "GET", "/v1/regions"): Rule(ANY),
    ("dispatch", "GET", "/v1/regions/{code}"): Rule(ANY, obj="region"),
    ("dispatch", "GET", "/v1/work/cases"): Rule(
        UNITS, scoped=UNITS, query={"page_size": 200}, listed=Listed({D: "case", C: "coordinated"})
    ),
    ("dispatch", "GET", "/v1/work/cases/{case_id}"): Rule(UNITS, scoped=UNITS, obj={D: "case", C: "coordinated"}),
    ("dispatch", "GET", "/v1/work/summary"): Rule(UNITS),  # counts of the caller's own unit only
    # The live stream (the token may also come as ?access_token=); the stack ends each stream at once.
    ("dispatch", "GET", "/v1/work/stream"): Rule(UNITS),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/accept"): _work("accept"),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/return"): _work("return", {"reason": TEXT}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/transfer"): _work(
        "transfer", {"to_unit": "GZ-TH-CG", "reason": TEXT}
    ),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/progress"): _work("progress", {"note": TEXT}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/suspend"): _work("suspend", {"reason": TEXT}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/resume"): _work("resume"),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/reply"): _work("reply", {"content": TEXT, "resolved": True}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/close"): _work("close"),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/coordinate"): _work(
        "coordinate", {"lead_unit": "GZ-TH-CG", "assisting_units": [DEPT_A], "instructions": TEXT}, roles(C)
    ),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/refer"): _work("refer", {"reason": TEXT}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/escalate"): _work("escalate", {"reason": TEXT}, roles(C)),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/part-reply"): _work("part-reply", {"content": TEXT}),
    ("dispatch", "POST", "/v1/work/cases/{case_id}/notify-police"): _work("notify-police", {"reason": TEXT}),
    ("dispatch", "GET", "/v1/admin/routing"): Rule(roles(A)),
    # A stale base version: the admin gets past authorization (409), and the demo table stays as it is.
    ("dispatch", "PUT", "/v1/admin/routing"): Rule(roles(A), body={"rules": [], "base_version": 0}),
    # Directory changes with empty bodies: the admin gets past authorization (422), and the directory stays.
    ("dispatch", "GET", "/v1/admin/directory"): Rule(roles(A)),
    ("dispatch", "GET", "/v1/admin/directory/{version}"): Rule(roles(A), obj="directory"),
    ("dispatch", "POST", "/v1/admin/units"): Rule(roles(A), body={}),
    ("dispatch", "PATCH", "/v1/admin/units/{code}"): Rule(roles(A), obj="spare.unit", body={}),
    ("dispatch", "POST", "/v1/admin/units/{code}/retire"): Rule(roles(A), obj="spare.unit", body={}),
    ("dispatch", "POST", "/v1/admin/regions"): Rule(roles(A), body={}),
    ("dispatch", "PATCH", "/v1/admin/regions/{code}"): Rule(roles(A), obj="spare.region", body={}),
    ("dispatch", "POST", "/v1/admin/regions/{code}/retire"): Rule(roles(A), obj="spare.region", body={}),
    **_ops("escalation"),
    ("escalation", "GET", "/v1/cases/{case_id}/clocks"): Rule(
        roles(H, S, D, C), scoped=UNITS, obj={H: "case", S: "case", D: "case", C: "coordinated"}
    ),
    ("escalation", "GET", "/v1/supervision/actions"): Rule(
        roles(S, D, C),
        scoped=UNITS,
        query={"page_size": 200},
        listed=Listed({D: "action", C: "coordinated.action"}, key="id", param="action_id"),
    ),
    ("escalation", "POST", "/v1/supervision/actions"): Rule(roles(S), body=_action),
    ("escalation", "POST", "/v1/supervision/actions/{action_id}/resolve"): Rule(
        UNITS, scoped=UNITS, obj={D: "action", C: "coordinated.action"}, body={"rectification": TEXT}
    ),
    # Pattern warnings are not seeded here: the scope of the listing is covered by escalation's own tests.
    ("escalation", "GET", "/v1/warnings"): Rule(roles(S, C, D)),
    # An empty policy document is refused (422), so the rules in force stay; an empty calendar only drops overrides.
    ("escalation", "GET", "/v1/admin/policies"): Rule(roles(A)),
    ("escalation", "PUT", "/v1/admin/policies"): Rule(roles(A), body={}),
    ("escalation", "GET", "/v1/admin/calendar"): Rule(roles(A)),
    ("escalation", "PUT", "/v1/admin/calendar"): Rule(roles(A), body={}),
    **_ops("audit"),
    ("audit", "GET", "/v1/records/{case_id}"): Rule(roles(S, H)),
    ("audit", "GET", "/v1/records/{case_id}/verify"): Rule(roles(S)),
    ("audit", "GET", "/v1/loops/open"): Rule(roles(S)),
    # A department or coordination institution reads its own unit's figures only (the listing, and 403 for another).
    ("audit", "GET", "/v1/assessment/units"): Rule(
        roles(S, A, D, C),
        scoped=UNITS,
        query={"from": "2026-11-01", "to": "2026-12-01"},
        listed=Listed({D: "unit", C: "coordination.unit"}, key="unit", param="code"),
    ),
    ("audit", "GET", "/v1/assessment/units/{code}"): Rule(
        roles(S, A, D, C), scoped=UNITS, obj={S: "unit", A: "unit", D: "unit", C: "coordination.unit"}
    ),
    ("audit", "GET", "/v1/assessment/districts"): Rule(roles(S), query={"from": "2026-11-01", "to": "2026-12-01"}),
    ("audit", "GET", "/v1/analysis/monthly"): Rule(roles(S), query={"month": "2026-11"}),
    ("audit", "GET", "/v1/anchors"): Rule(roles(S)),
    ("audit", "POST", "/v1/anchors"): Rule(roles(S, A)),
    ("audit", "GET", "/v1/anchors/verify"): Rule(roles(S)),
}


def permitted(rule: Rule) -> Role | None:
    """A role the rule admits (None: the route is public), for callers that need one valid token per route."""
    if rule.roles is None:
        return None
    for role in (H, S, A, D, C, G, Role.OPS):
        if not rule.roles or role in rule.roles:
            return role
    raise AssertionError("a rule admits no role")
