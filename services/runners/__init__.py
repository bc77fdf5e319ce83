"""Batch runners: the only services that commit — each runs in a worker (or the CLI), takes its work in
steps and commits each step, so a crash loses at most the step in flight. Everything else in services/
leaves the transaction to its caller (a route or a job)."""
