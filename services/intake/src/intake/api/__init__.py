"""intake HTTP API (API.md, intake): reports and the catalogue, case status and return visits, grid feedback, the
Open311 façade."""

from intake.api import case_routes, grid_routes, open311_routes, report_routes

routers = [report_routes.router, case_routes.router, grid_routes.router, open311_routes.router]
