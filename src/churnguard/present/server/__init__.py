"""The HTTP server: one FastAPI app serving the pages and the REST API over one service layer."""

from churnguard.present.server.app import create_app

__all__ = ["create_app"]
