"""The HTTP layer: thin web pages and the JSON API over the same services."""
