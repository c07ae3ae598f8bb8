"""dispatch HTTP API (API.md, dispatch): directory, work queue and actions, routing and directory administration."""

from dispatch.api import admin_routes, directory_admin_routes, directory_routes, work_routes

routers = [directory_routes.router, work_routes.router, admin_routes.router, directory_admin_routes.router]
