"""Background jobs on RQ: queues, jobs (ids in, rows reloaded), the periodic schedule, the worker entry."""
