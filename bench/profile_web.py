"""Where a request's time goes: bench/web.py's endpoints run in-process, Witkey against the bare baseline
(issue 21). The closing note of a target that is missed quotes this table.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n> \\
        .venv/bin/python -m bench.profile_web [--requests 100] [--out FILE]

Setup is bench/web.py's own (`prepare`): a fresh `<db>_profile_web` database with 1,000 tenders by COPY, the
schema by `flask db upgrade`, tokens, a session and a metered contract made through the app; dropped at the
end. Then, for each endpoint of `bench.web.endpoints` (the same requests, headers and auth as the wrk
scripts: `Accept-Language: zh-CN`, the brand's token or session cookie, each bid a new (bidder, tender)
pair), the request is called through the WSGI interface of `app.create_app()` (as gunicorn would call it,
no test client) and of `bench.web_bare.create_app()`, in one process, the two sides alternating in chunks:

- **ms/request**: the median wall time of --requests calls (no profiler running), Witkey and bare, and the
  ratio bare ÷ Witkey (what wrk's req/s ratio is on one core). Anonymous public reads answer from the
  public cache (blueprints/public_cache.py) after the first call of each 30 s window: the main figure
  and the breakdown are the rendering path (each call preceded, outside its timing, by deleting the
  cached pages), and a separate column gives the same request answered from the cache — what wrk
  mostly measures for those rows.
- **CPU ms/request**: this process's CPU time per call (median), Witkey and bare: the Python side alone, which
  waiting for PostgreSQL or Redis does not inflate — on a shared machine the steadier figure, and what
  bounds throughput once the cores are busy, as they are under wrk.
- **SQL/request**: statements the app sent (SQLAlchemy's `before_cursor_execute`), and database round trips
  (every psycopg `execute`, including the pool's pre-ping, plus BEGIN/COMMIT/ROLLBACK), bare side alike.
- **Redis/request**: commands and pipelines sent.
- **Breakdown** (ms/request): a second run of the same calls under a sampling profiler (a thread reading
  the request thread's stack every ~0.5 ms: no per-call overhead, so fast C code and slow Python are
  weighed as they run). Each sample is charged to the innermost frame outside the standard library:
  psycopg = *DB* (driver, network and server time together); SQLAlchemy / Flask-SQLAlchemy = *ORM*
  (compilation, result processing, hydration, unit of work); Jinja and templates = *Jinja*; pydantic,
  json = *pydantic/JSON*; Babel and i18n/ = *i18n*; redis-py = *Redis*; Flask, Werkzeug and the Flask
  extensions (login, WTF/CSRF, limiter, talisman, itsdangerous, blinker) = *Flask/ext*; everything else
  (the app's services, views, models; other libraries) = *app/other*. The fractions are scaled to the
  clean run's ms/request. *Hooks* cuts the same samples the other way: time (all layers, SQL included)
  spent inside the per-request hooks — before/after_request, teardown, context processors, the session
  cookie, Flask-Login's user loading, the API's token lookup, Babel's locale and timezone selection —
  with the largest named.

The first row is the floor: an empty JSON route added to both apps (`FLOOR`), what every request of the
app pays for its app-wide hooks before its own work.

Takes about two minutes at the default --requests 100 (seeding included).
"""
import argparse
import io
import json
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench import web, web_seed

LAYERS = ("DB", "ORM", "Jinja", "pydantic/JSON", "i18n", "Redis", "Flask/ext", "app/other")
_STDLIB = sysconfig.get_paths()["stdlib"]
_SKIP = object()
# (path fragment, layer), first match wins; "/json/" is the standard library's json (serialisation)
_RULES = (
    ("/psycopg", "DB"), ("/sqlalchemy/", "ORM"), ("/flask_sqlalchemy/", "ORM"),
    ("/jinja2/", "Jinja"), ("/markupsafe/", "Jinja"), ("/templates/", "Jinja"),
    ("/pydantic", "pydantic/JSON"), ("/json/", "pydantic/JSON"),
    ("/babel/", "i18n"), ("/flask_babel/", "i18n"), ("/i18n/", "i18n"),
    ("/redis/", "Redis"),
    ("/flask/", "Flask/ext"), ("/werkzeug/", "Flask/ext"), ("/flask_login/", "Flask/ext"),
    ("/flask_wtf/", "Flask/ext"), ("/wtforms/", "Flask/ext"), ("/flask_limiter/", "Flask/ext"),
    ("/limits/", "Flask/ext"), ("/flask_talisman/", "Flask/ext"), ("/itsdangerous/", "Flask/ext"),
    ("/blinker/", "Flask/ext"),
)


def _layer_of(code) -> object:
    name = code.co_filename
    if name.endswith(".html") or name == "<template>":
        return "Jinja"
    for fragment, layer in _RULES:
        if fragment in name:
            return layer
    if name.startswith(("<frozen", _STDLIB)) and "site-packages" not in name:
        return _SKIP  # the standard library: charged to whoever called it
    return "app/other"


class Sampler:
    """Reads one thread's stack every `interval` seconds while `active`; counts (layer, hook) pairs."""

    def __init__(self, hooks: dict, interval: float = 0.0005):
        self.hooks, self.interval = hooks, interval
        self.thread_id = threading.get_ident()
        self.active = False
        self.samples: Counter = Counter()
        self._layers: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(self.interval / 2)  # the request thread lets the sampler in this often
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)

    def _run(self):
        while not self._stop.wait(self.interval):
            if self.active and (frame := sys._current_frames().get(self.thread_id)) is not None:  # noqa: SLF001
                self.samples[self.classify(frame)] += 1

    def classify(self, frame) -> tuple[str, str | None]:
        layer = hook = None
        while frame is not None:
            code = frame.f_code
            if layer is None:
                found = self._layers.get(code)
                if found is None:
                    found = self._layers[code] = _layer_of(code)
                if found is not _SKIP:
                    layer = found
            if hook is None:
                hook = self.hooks.get(code)
            if layer is not None and hook is not None:
                break
            frame = frame.f_back
        return layer or "app/other", hook


def hook_codes(app) -> dict:
    """The code objects of what every request runs besides its view, by a short name."""
    import flask_babel  # noqa: PLC0415
    from flask_login import LoginManager  # noqa: PLC0415

    from blueprints import limits  # noqa: PLC0415

    def short(fn) -> str:
        module = getattr(fn, "__module__", "") or ""
        return f"{module.rpartition('.')[2]}.{getattr(fn, '__name__', '?')}"

    hooks = {}

    def add(fn, name=None):
        fn = getattr(fn, "__func__", fn)
        while hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        if hasattr(fn, "__code__"):
            hooks[fn.__code__] = name or short(fn)

    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
                     app.template_context_processors):
        for funcs in registry.values():
            for fn in funcs:
                add(fn)
    for fn in app.teardown_appcontext_funcs:
        add(fn)
    add(app.login_manager._user_callback, "login: user loader")  # noqa: SLF001
    add(LoginManager._load_user, "login: user loader")  # noqa: SLF001
    add(app.session_interface.open_session, "session cookie")
    add(app.session_interface.save_session, "session cookie")
    add(limits.bearer_user, "api: token lookup")
    add(flask_babel.get_locale, "babel: locale")
    add(flask_babel.get_timezone, "babel: timezone")
    return hooks


class Counters:
    """Statements, round trips and Redis commands, counted by patching the drivers for the whole run."""

    def __init__(self):
        import psycopg  # noqa: PLC0415
        import redis  # noqa: PLC0415
        from psycopg._connection_base import BaseConnection  # noqa: PLC0415
        from sqlalchemy import event  # noqa: PLC0415
        from sqlalchemy.engine import Engine  # noqa: PLC0415

        self.n = Counter()
        n = self.n

        def counting(owner, name, key):
            original = getattr(owner, name)

            def wrapper(*args, **kwargs):
                n[key] += 1
                return original(*args, **kwargs)

            setattr(owner, name, wrapper)

        counting(psycopg.Cursor, "execute", "round trips")
        counting(psycopg.Cursor, "executemany", "round trips")
        counting(BaseConnection, "_exec_command", "round trips")  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT
        counting(redis.Redis, "execute_command", "redis")
        counting(redis.client.Pipeline, "execute", "redis")

        @event.listens_for(Engine, "before_cursor_execute")
        def _statement(*_args):
            n["statements"] += 1


def wsgi_call(app, environ: dict, body: bytes) -> int:
    environ = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    status = []

    def start_response(line, _headers, _exc_info=None):
        status.append(line)

    result = app(environ, start_response)
    try:
        for _chunk in result:
            pass
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(status[0][:3])


class Requests:
    """bench.web's requests as WSGI environs; bids walk (bidder, tender) pairs shared by both sides."""

    def __init__(self, fx: web_seed.Fixture):
        self.fx, self.next_pair = fx, 0

    def build(self, endpoint: dict, count: int) -> list[tuple[dict, bytes]]:
        from werkzeug.test import EnvironBuilder  # noqa: PLC0415

        fx, who, write = self.fx, endpoint.get("who"), endpoint.get("write")
        headers = {"Accept-Language": "zh-CN"}
        if who == "brand_token" or write in ("message", "usage"):
            headers |= {"Authorization": f"Bearer {fx.brand_token}", "X-Bench-User": str(fx.brand_id)}
        if who == "brand_cookie":
            headers |= {"Cookie": fx.brand_cookie, "X-Bench-User": str(fx.brand_id)}
        calls = []
        for _ in range(count):
            method, path, body, h = "GET", endpoint.get("path", "/"), b"", dict(headers)
            if write == "message":
                method, path = "POST", f"/api/v1/conversations/{fx.conversation_id}/messages"
                body = json.dumps({"body": "好的，明天发初稿给您。"}).encode()
            elif write == "usage":
                method, path = "POST", f"/api/v1/milestones/{fx.milestone_id}/usage"
                body = json.dumps({"quantity": 1, "note": "photos delivered"}).encode()
            elif write == "bid":
                i, self.next_pair = self.next_pair, self.next_pair + 1
                k, tender = i % len(fx.bidder_ids), 1 + (i // len(fx.bidder_ids)) % fx.tenders
                method, path, body = "POST", f"/api/v1/tenders/{tender}/bids", json.dumps(web.BID_BODY).encode()
                h |= {"Authorization": f"Bearer {fx.bidder_tokens[k]}", "X-Bench-User": str(fx.bidder_ids[k])}
            if body:
                h["Content-Type"] = "application/json"
            environ = EnvironBuilder(path=path, method=method, headers=h, data=body,
                                     base_url="http://127.0.0.1:8000", environ_base={"REMOTE_ADDR": "127.0.0.1"}
                                     ).get_environ()
            environ["RAW_URI"] = path  # as gunicorn sets it (blueprints/errors.py reads it)
            environ.pop("wsgi.input", None)
            calls.append((environ, body))
        return calls


def run_side(app, calls, counters: Counters, before=None, sampler: Sampler | None = None) -> dict:
    """Call each request once; per-request wall times (ms), statuses and counts."""
    times, cpu, statuses = [], [], Counter()
    start = Counter(counters.n)
    for environ, body in calls:
        if before is not None:
            before()
        if sampler is not None:
            sampler.active = True
        t0, c0 = time.perf_counter(), time.process_time()
        statuses[wsgi_call(app, environ, body)] += 1
        elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        if sampler is not None:
            sampler.active = False
        times.append(elapsed * 1000)
        cpu.append(used * 1000)
    counts = {k: (counters.n[k] - start[k]) / len(calls) for k in ("statements", "round trips", "redis")}
    return {"times": times, "cpu": cpu, "statuses": statuses, **counts}


def profile(args) -> tuple[list[dict], dict]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("bench.profile_web needs DATABASE_URL=postgresql://… (it creates its own database)")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench.profile_web needs REDIS_URL=redis://…")
    workdir = Path(tempfile.mkdtemp(prefix="witkey-profile-web-"))
    try:
        env, _shape, fx = web.prepare(web.SMALL, url, argparse.Namespace(reuse=False), workdir, name="profile_web")
        return measure(env["DATABASE_URL"], fx, args), {"loadavg": os.getloadavg()}
    finally:
        web.drop_database(url, "profile_web")
        shutil.rmtree(workdir, ignore_errors=True)


# An empty JSON route added to both apps: Witkey's side runs every app-wide hook (session cookie, user
# loading, Babel, the security headers, the limiter, the database session's teardown) and nothing else, the
# bare side Flask alone — the per-request cost no endpoint's own work can remove.
FLOOR = {"name": "floor: an empty JSON route", "path": "/__bench_floor"}


def measure(db_url: str, fx: web_seed.Fixture, args) -> list[dict]:
    from app import create_app  # noqa: PLC0415
    from bench.web_bare import create_app as create_bare  # noqa: PLC0415
    from extensions import get_redis  # noqa: PLC0415

    witkey, bare = create_app(), create_bare(db_url)
    for side in (witkey, bare):  # the floor: what every request pays before it does anything (FLOOR)
        side.add_url_rule(FLOOR["path"], "bench_floor", lambda: {"ok": True})
    counters, requests = Counters(), Requests(fx)
    with witkey.app_context():
        store = get_redis()

    def forget_pages():
        keys = store.keys("witkey:public-page:*")
        if keys:
            store.delete(*keys)

    hooks = hook_codes(witkey)
    rows = []
    chunks = max(1, min(4, args.requests // 25))
    per_chunk = max(1, args.requests // chunks)
    for endpoint in [FLOOR, *web.endpoints(fx)]:
        cacheable = endpoint.get("who") is None and not endpoint.get("write")
        for side in (witkey, bare):  # warm up: connections, caches, prepared statements
            run_side(side, requests.build(endpoint, 10), counters, forget_pages if side is witkey else None)
        results, cpu = defaultdict(list), defaultdict(list)
        counts = {}
        for _ in range(chunks):
            for name, app, before in (("witkey", witkey, forget_pages if cacheable else None), ("bare", bare, None)):
                r = run_side(app, requests.build(endpoint, per_chunk), counters, before)
                results[name] += r["times"]
                cpu[name] += r["cpu"]
                counts.setdefault(name, r)
                counts[name].setdefault("all_statuses", Counter()).update(r["statuses"])
            if cacheable:
                r = run_side(witkey, requests.build(endpoint, per_chunk), counters)
                results["cached"] += r["times"]
                counts.setdefault("cached", r)
        with Sampler(hooks) as sampler:
            run_side(witkey, requests.build(endpoint, args.requests), counters,
                     forget_pages if cacheable else None, sampler)
        row = {"name": endpoint["name"], "samples": sampler.samples,
               **{f"{k}_ms": statistics.median(v) for k, v in results.items()},
               **{f"{k}_cpu": statistics.median(v) for k, v in cpu.items()},
               **{f"{side}_{k}": counts[side][k] for side in ("witkey", "bare") for k in ("statements", "round trips",
                                                                                           "redis")},
               "statuses": {side: dict(counts[side]["all_statuses"]) for side in ("witkey", "bare")}}
        rows.append(row)
        print(summary(row), flush=True)
    return rows


def breakdown(row: dict) -> tuple[dict, list]:
    """ms/request per layer, and the hooks' ms (largest first), from the samples scaled to the clean run."""
    samples, total = row["samples"], sum(row["samples"].values()) or 1
    layers, hooks = Counter(), Counter()
    for (layer, hook), n in samples.items():
        layers[layer] += n
        if hook is not None:
            hooks[hook] += n
    scale = row["witkey_ms"] / total
    return ({k: layers[k] * scale for k in LAYERS},
            [(name, n * scale) for name, n in hooks.most_common()])


def summary(row: dict) -> str:
    layers, hooks = breakdown(row)
    cached = f" (cached {row['cached_ms']:.2f})" if "cached_ms" in row else ""
    bad = {s: {k: v for k, v in st.items() if k >= 400} for s, st in row["statuses"].items()}
    return (f"  {row['name']:42} {row['witkey_ms']:6.2f} ms{cached} / bare {row['bare_ms']:5.2f} ms  "
            f"CPU {row['witkey_cpu']:5.2f} / {row['bare_cpu']:5.2f} ms  "
            f"SQL {row['witkey_statements']:.1f}  "
            f"trips {row['witkey_round trips']:.1f} / {row['bare_round trips']:.1f}  "
            + " ".join(f"{k} {v:.2f}" for k, v in layers.items())
            + f"  hooks {sum(v for _, v in hooks):.2f}"
            + (f"  ERRORS {bad}" if any(bad.values()) else ""))


def table(rows: list[dict], meta: dict, args) -> str:
    head = ["endpoint", "bare ms", "Witkey ms", "bare ÷ Witkey", "CPU ms Witkey / bare (÷)", "from cache ms (÷)",
            "SQL stmts", "round trips W / bare", "Redis", *(f"{k} ms" for k in LAYERS),
            "hooks ms (all layers): largest"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        layers, hooks = breakdown(row)
        top = ", ".join(f"{name} {ms:.2f}" for name, ms in hooks[:4] if ms >= 0.05)
        cached = (f"{row['cached_ms']:.2f} ({row['bare_ms'] / row['cached_ms']:.2f}×)" if "cached_ms" in row else "—")
        bad = sum(n for s in row["statuses"].values() for code, n in s.items() if code >= 400)
        lines.append("| " + " | ".join([
            f"`{row['name']}`" + (" ⚠" if bad else ""), f"{row['bare_ms']:.2f}", f"{row['witkey_ms']:.2f}",
            f"{row['bare_ms'] / row['witkey_ms']:.2f}×",
            f"{row['witkey_cpu']:.2f} / {row['bare_cpu']:.2f} ({row['bare_cpu'] / row['witkey_cpu']:.2f}×)", cached,
            f"{row['witkey_statements']:.1f}",
            f"{row['witkey_round trips']:.1f} / {row['bare_round trips']:.1f}", f"{row['witkey_redis']:.1f}",
            *(f"{layers[k]:.2f}" for k in LAYERS),
            f"{sum(ms for _, ms in hooks):.2f}: {top}" if top else f"{sum(ms for _, ms in hooks):.2f}"]) + " |")
    notes = [
        f"`python -m bench.profile_web --requests {args.requests}`: in-process WSGI calls, 1,000 tenders, PostgreSQL; "
        "medians of the clean runs (wall and CPU time); the layer columns and hooks from a sampled run scaled to "
        "Witkey ms (see the module docstring for what each column holds).",
        "Anonymous public reads: Witkey ms and the breakdown are the rendering path (cached pages deleted before "
        "each call); *from cache* is the same request answered by the public cache, and bare ÷ that.",
        f"Machine: {os.cpu_count()} cores, shared; load average at the end "
        + " ".join(f"{x:.2f}" for x in meta["loadavg"]) + ".",
    ]
    if any(sum(n for s in r["statuses"].values() for code, n in s.items() if code >= 400) for r in rows):
        notes.append("⚠: some calls answered 4xx/5xx in that row (the run's output has the statuses).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_web", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="calls per endpoint and side in each run")
    parser.add_argument("--out", help="also write the table (Markdown) here")
    args = parser.parse_args()
    rows, meta = profile(args)
    out = table(rows, meta, args)
    print("\n" + out)
    if args.out:
        Path(args.out).write_text(out)


if __name__ == "__main__":
    main()
