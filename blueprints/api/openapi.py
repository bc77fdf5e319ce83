"""GET /api/v1/openapi.json, generated from the route registry and the pydantic schemas the API
validates with — so the description cannot drift from what the server accepts."""
import re

from flask import current_app, jsonify
from pydantic import BaseModel

from blueprints.api.routing import ROUTES, bp
from blueprints.api.schemas.common import Error
from blueprints.public_cache import PUBLIC
from services.public_cache import WINDOW

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"


def openapi_path(rule: str) -> str:
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


def _add_schema(components: dict, model: type[BaseModel], mode: str) -> dict:
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(rule: str, query: type[BaseModel] | None, components: dict) -> list[dict]:
    params = []
    for converter, name in _CONVERTER.findall(rule):
        # an id: a positive integer (a number past what the database holds is answered 422, out_of_range)
        schema = {"type": "integer", "format": "int64", "minimum": 0} if converter == "int" else \
            {"type": "string", "minLength": 1}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if query is not None:
        schema = query.model_json_schema(ref_template=REF)
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in schema.get("required", []),
                     "schema": prop}
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    return params


def _operation(spec, components: dict, error_ref: dict) -> dict:
    op = {
        "operationId": spec.endpoint,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _parameters(spec.rule, spec.query, components),
        "responses": {},
        "security": [{"bearerAuth": []}] if spec.auth else [{}, {"bearerAuth": []}],
    }
    path_converters = [converter for converter, _ in _CONVERTER.findall(spec.rule)]
    # Every status the route can answer, from what it declares and what the machinery around it does:
    # 400 for a NUL character in any input; 401 from the token; 403 from the roles, and for staff without
    # two-factor sign-in (`totp_required`) on any route with a token; 404 for an object the
    # caller cannot see; 422 for an id past what the database holds or a bad Idempotency-Key; 429 from
    # a rate limit.
    errors = set(spec.errors) | {400} | ({401} if spec.auth else set()) | ({403} if spec.roles or spec.auth else set())
    if path_converters:
        errors.add(404)
    if "int" in path_converters or spec.idempotent:
        errors.add(422)
    if spec.rate_limited:
        errors.add(429)
    if spec.description:
        op["description"] = spec.description
    if spec.idempotent:
        op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                                 "description": "the same key from the same user returns the first answer "
                                                "and changes nothing more"})
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _add_schema(components, spec.body, "validation")}}}
    if spec.upload:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    if spec.body is not None or spec.query is not None or spec.upload:
        errors.update((400, 422))
    for success in (spec.status, *spec.also):
        ok = {"description": _SUCCESS_TEXT[success]}
        if spec.download:
            media = spec.download if isinstance(spec.download, str) else "application/octet-stream"
            ok["content"] = {media: {"schema": {"type": "string", "format": "binary"}}}
        elif spec.response is not None:
            ok["content"] = {"application/json": {"schema": _add_schema(components, spec.response, "serialization")}}
        op["responses"][str(success)] = ok
    _revalidation(spec, op)
    for status in sorted(errors):
        op["responses"][str(status)] = {"description": _ERROR_TEXT[status],
                                        "content": {"application/json": {"schema": error_ref}}}
    return op


def _revalidation(spec, op: dict) -> None:
    """Anonymous public reads carry an ETag and answer 304 to it (blueprints/public_cache.py)."""
    if f"api.{spec.endpoint}" not in PUBLIC:
        return
    op["parameters"].append({"name": "If-None-Match", "in": "header", "required": False,
                             "schema": {"type": "string", "maxLength": 200},
                             "description": "the ETag of an earlier anonymous answer: 304 while it still holds "
                                            "(it changes with any write to what it shows, and at least every "
                                            f"{WINDOW} seconds); ignored with a token"})
    op["responses"]["304"] = {"description": "Not modified: the answer of that ETag still holds"}


def build_document() -> dict:
    components: dict = {}
    error_ref = _add_schema(components, Error, "serialization")
    paths: dict = {}
    for spec in ROUTES:
        paths.setdefault(openapi_path(spec.rule), {})[spec.method.lower()] = _operation(spec, components, error_ref)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Witkey open API", "version": "1.0.0",
                 "description": "Tenders, bids, escrow milestones, disputes, reviews and settlement."},
        "servers": [{"url": "/api/v1", "description": "every path below is relative to /api/v1"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "a token from POST /api/v1/auth/tokens"}},
        },
    }


_SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}
_ERROR_TEXT = {
    400: "Malformed JSON, a value of the wrong type, or a NUL character in any input",
    401: "Missing or invalid token",
    403: "Authenticated but not allowed",
    404: "Not found, or not visible to the caller",
    409: "Illegal state transition or conflict",
    413: "The upload is too large",
    422: "Well-formed but invalid values (an id past any row, a bad Idempotency-Key)",
    429: "Too many attempts (`rate_limited`), or password hashing is busy (`busy`, on the operations that "
         "check a password): wait and try again",
}


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of every API route."""
    doc = current_app.extensions.get("witkey_openapi")
    if doc is None:
        doc = current_app.extensions["witkey_openapi"] = build_document()
    return jsonify(doc)
