"""audit HTTP API (API.md, audit): the record and its loops, anchors, assessment figures."""

from audit.api import anchor_routes, figure_routes, record_routes

routers = [record_routes.router, figure_routes.router, anchor_routes.router]
