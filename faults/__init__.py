"""The project's own fault campaign (`make faults`, README "Fault campaign"): its own PostgreSQL and
Redis on spare ports, the app started as in production, a load through the API, faults injected one
at a time (faults.py), checks after each (checks.py), a table at the end (report.py)."""
