"""``/api/openapi.json`` and ``/api/docs``: the API described, served without any CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from churnguard.present.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json", name="api_openapi")
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document (no login needed: it holds no data)."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", name="api_docs")
def docs(request: Request) -> Response:
    """The OpenAPI document as a page: every operation, its parameters and answers."""
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                 "description": p.get("description") or p.get("schema", {}).get("description", "")}
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                ref = content.get("schema", {}).get("$ref", "")
                schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
                for name, prop in schema.get("properties", {}).items():
                    params.append({"name": name, "in": media, "required": name in schema.get("required", []),
                                   "description": prop.get("description", "")})
            operations.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                               "description": op.get("description", ""), "params": params,
                               "responses": sorted(op.get("responses", {}))})
    return render(request, "api_docs.html", {"spec": spec, "operations": operations})
