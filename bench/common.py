"""What the PostgreSQL benchmarks share: a database of their own, and the process's peak memory."""
import argparse
import os
import resource

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_database(url: str, suffix: str) -> str:
    """`<db>_<suffix>` on the server of `url`, dropped and created empty; its URL."""
    url = make_url(url)
    name = f"{url.database}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def run_scales(name: str, run) -> None:
    """The command line of a PostgreSQL benchmark: its own fresh database, the schema from the
    migrations, then `run(app, scale)` at 10 % of --scale and at --scale (so flat memory shows)."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit(f"bench.{name} needs DATABASE_URL=postgresql://… (it creates its own database)")
    os.environ["DATABASE_URL"] = fresh_database(url, f"bench_{name}")
    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade()
    for scale in sorted({round(args.scale * 0.1, 3), args.scale}):
        run(app, scale)
