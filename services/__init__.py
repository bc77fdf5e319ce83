"""The domain layer: every rule of the marketplace lives here, once.

Services take the acting user explicitly, raise `services.errors.DomainError` subclasses, and never
commit: the web route, API route or job that calls them owns the transaction.
"""
