"""escalation HTTP API (API.md, escalation): a case's clocks, supervision actions and warnings, versioned rules."""

from escalation.api import admin_routes, cases_routes, supervision_routes

routers = [cases_routes.router, supervision_routes.router, admin_routes.router]
