"""GET /api/v1/openapi.json: a valid OpenAPI 3 document covering every API route that exists."""
import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    validate(doc)


def test_every_api_route_is_described(app, client):
    doc = client.get("/api/v1/openapi.json").json
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes, "no API routes found"
    assert routes == described


def test_schemas_come_from_the_validators(client):
    """The request schema is the pydantic model the route validates with, constraints included."""
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/tenders"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = doc["components"]["schemas"][ref]
    assert {"title", "category", "budget_min", "bid_deadline"} <= set(schema["required"])
    assert schema["properties"]["budget_min"]["type"] == "integer"
    assert set(op["responses"]) >= {"201", "400", "401", "403", "422"}
    params = {p["name"]: p for p in doc["paths"]["/tenders"]["get"]["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100
