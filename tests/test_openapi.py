"""GET /api/v1/openapi.json: a valid OpenAPI 3 document covering every API route that exists."""
import re
import typing

from openapi_spec_validator import validate
from pydantic import BaseModel

from blueprints.api.routing import ROUTES


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


def test_paths_are_relative_to_the_api_server(client):
    """Generated clients join `servers[0].url` and a path: /api/v1 + /tenders, not / + /tenders."""
    doc = client.get("/api/v1/openapi.json").json
    assert [s["url"] for s in doc["servers"]] == ["/api/v1"]
    assert "/tenders" in doc["paths"] and client.get("/api/v1/tenders").status_code == 200


def test_every_status_an_operation_can_answer_is_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "429" in paths["/auth/tokens"]["post"]["responses"]  # the login rate limit
    assert "429" in paths["/auth/register"]["post"]["responses"]
    # the bounded password hashing answers 429 `busy`: a client reading the document must learn that code
    assert "`busy`" in paths["/auth/register"]["post"]["responses"]["429"]["description"]
    assert "403" in paths["/reviews/{review_id}/reports"]["post"]["responses"]  # one's own review
    assert "422" in paths["/milestones/{milestone_id}/fund"]["post"]["responses"]  # a bad Idempotency-Key
    assert "422" in paths["/bids/{bid_id}"]["get"]["responses"]  # an id past what the database holds
    bid_id = next(p for p in paths["/bids/{bid_id}"]["get"]["parameters"] if p["name"] == "bid_id")
    assert bid_id["schema"] == {"type": "integer", "format": "int64", "minimum": 0}
    key = next(p for p in paths["/milestones/{milestone_id}/fund"]["post"]["parameters"]
               if p["name"] == "Idempotency-Key")
    assert key["schema"]["minLength"] == 1 and key["schema"]["maxLength"] == 255


def test_a_wrong_method_is_405_with_allow_and_the_json_error(client):
    r = client.delete("/api/v1/tenders")
    assert r.status_code == 405 and r.is_json and r.json["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_oversized_urls_and_headers_get_the_json_error_under_the_api(client):
    long_url = client.get("/api/v1/tenders?q=" + "a" * 5000)
    assert long_url.status_code == 414 and long_url.json["error"]["code"] == "uri_too_long"
    big_header = client.get("/api/v1/tenders", headers={"X-Padding": "a" * 9000})
    assert big_header.status_code == 431 and big_header.json["error"]["code"] == "headers_too_large"
    many = client.get("/api/v1/tenders", headers={f"X-Pad-{i}": "a" * 4000 for i in range(10)})
    assert many.status_code == 431 and many.is_json
    assert client.get("/tenders?q=" + "a" * 5000).status_code == 414  # a page elsewhere, not a crash


def _models_in(annotation, found: dict) -> None:
    """Every pydantic model an annotation names, nested ones included, by class."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found.values():
            return
        found.setdefault(annotation.__name__ + f"@{id(annotation)}", annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
    for arg in typing.get_args(annotation):
        _models_in(arg, found)


def test_no_two_api_models_share_a_name():
    """The document keys schemas by class name: a second class of the same name (a wallet's BankOut and a
    payout account's) silently took the first one's place, and clients read the wrong fields."""
    found: dict = {}
    for spec in ROUTES:
        for model in (spec.body, spec.response, spec.query):
            _models_in(model, found)
    names = [model.__name__ for model in found.values()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
