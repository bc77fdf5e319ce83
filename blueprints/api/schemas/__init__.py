"""What the API accepts and returns, one module per resource. These models validate requests and
generate openapi.json; import each from its module (there is no catch-all here)."""
