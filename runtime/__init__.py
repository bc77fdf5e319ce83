"""Process plumbing for running Witkey (no app imports): the supervisor behind `make run`."""
