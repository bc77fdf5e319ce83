"""Witkey's hot pages and API under wrk, against a bare Flask baseline on the same gunicorn and database
(issue 21). Ratios are measured in the same run, so a busy machine slows both sides.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/x REDIS_URL=redis://127.0.0.1:6379/6 make bench-web
    … make bench-web BENCH_WEB_ARGS="--scale 100000 --runs 3 --duration 5"

For each size (1,000 tenders, and --scale when larger): a fresh `<db>_bench_web` database, the schema by
`flask db upgrade`, the data by COPY (bench/web_seed.py: tenders, 5 bids each, providers, conversations),
tokens and a session made through the app. Then two gunicorns with `make run`'s settings (scripts/run.py:
2 sync workers, its request limits, access log on) on spare ports: Witkey (`app:create_app()`) and the
baseline (`bench.web_bare:create_app()`, psycopg and a minimal template). Each endpoint is driven with
wrk at 8 connections for --duration seconds, the two sides alternating, --runs times; the best req/s of
each side is kept. Then p50 latency at 1 connection. Writes (POST a bid, a message, usage) use a wrk Lua
script; each bid is a new (provider, tender) pair. The servers are stopped and the database dropped at
the end, whatever happens. MESSAGE_RATE_LIMIT is lifted for the run (30 a minute would measure the
limiter's 429s); the servers get their own instance folder (secret key, uploads, mail files).

Prints one table: endpoint, Witkey and baseline req/s and their ratio and p50 per size, and the growth of
Witkey's p50 from the smallest size to the largest. `--out FILE` also writes it as Markdown.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import web_seed

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SMALL = 1000
BID_BODY = {"amount": 100000, "currency": "CNY", "delivery_days": 10,
            "proposal": "We have served twenty tea brands; studio, retouching and copy included.",
            "milestones": [{"title": "All", "amount": 100000, "due_days": 10}]}


def endpoints(fx: web_seed.Fixture) -> list[dict]:
    """(name, path, who) of every measured request; who = None (anonymous), a Fixture role, or a writer."""
    return [
        {"name": "GET /api/v1/tenders", "path": "/api/v1/tenders"},
        {"name": "GET /api/v1/tenders?category=design", "path": "/api/v1/tenders?category=design"},
        {"name": "GET /api/v1/tenders?page=50", "path": "/api/v1/tenders?page=50"},
        {"name": "GET /api/v1/tenders?q=photography", "path": "/api/v1/tenders?q=photography"},
        {"name": "GET /api/v1/tenders?q=摄影", "path": "/api/v1/tenders?q=%E6%91%84%E5%BD%B1"},
        {"name": "GET /api/v1/tenders/{id}", "path": f"/api/v1/tenders/{fx.tender_id}"},
        {"name": "web GET /tenders", "path": "/tenders"},
        {"name": "web GET /tenders/{id}", "path": f"/tenders/{fx.tender_id}"},
        {"name": "web GET /providers", "path": "/providers"},
        {"name": "web GET /providers/{id}", "path": f"/providers/{fx.provider_id}"},
        {"name": "GET /api/v1/conversations (brand)", "path": "/api/v1/conversations", "who": "brand_token"},
        {"name": "web GET / (brand's home)", "path": "/", "who": "brand_cookie"},
        {"name": "POST /api/v1/tenders/{id}/bids", "write": "bid"},
        {"name": "POST /api/v1/conversations/{id}/messages", "write": "message"},
        {"name": "POST /api/v1/milestones/{id}/usage", "write": "usage"},
    ]


def _lua_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=True)  # a JSON string literal is a valid Lua string here


def lua_script(endpoint: dict, fx: web_seed.Fixture, directory: Path, uncached: bool = False) -> Path:
    """The wrk script of one endpoint: headers for who is acting (Witkey reads the token or cookie, the
    baseline X-Bench-User), and for writes the POST; bids walk (bidder, tender) pairs from an offset given
    as the script's argument, so no pair is bid twice in the whole bench. `uncached`: every read adds a
    parameter of its own (`_bench=<run's start second>-<thread>-<n>`, ignored by both sides), so the app's
    public page cache (blueprints/public_cache.py, keyed by the full path) never answers: the database's work
    is measured, in every run (a later run's paths are not an earlier one's, which the cache would answer)."""
    who, write = endpoint.get("who"), endpoint.get("write")
    lines = ['wrk.headers["Accept-Language"] = "zh-CN"']
    if who == "brand_token" or write in ("message", "usage"):
        lines += [f'wrk.headers["Authorization"] = "Bearer {fx.brand_token}"',
                  f'wrk.headers["X-Bench-User"] = "{fx.brand_id}"']
    if who == "brand_cookie":
        lines += [f'wrk.headers["Cookie"] = {_lua_string(fx.brand_cookie)}',
                  f'wrk.headers["X-Bench-User"] = "{fx.brand_id}"']
    if write:
        lines += ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    if write == "message":
        lines += [f"wrk.path = \"/api/v1/conversations/{fx.conversation_id}/messages\"",
                  f"wrk.body = {_lua_string(json.dumps({'body': '好的，明天发初稿给您。'}))}"]
    if write == "usage":
        lines += [f'wrk.path = "/api/v1/milestones/{fx.milestone_id}/usage"',
                  f"wrk.body = {_lua_string(json.dumps({'quantity': 1, 'note': 'photos delivered'}))}"]
    if uncached and not write:
        path = endpoint.get("path", "/")
        # the run's start second in the parameter too: each wrk run (a second apart at least) asks for paths
        # no run before it asked for, which the cache would otherwise answer for the window's rest
        lines += [
            "local threads, tid, n, run = 0, 0, 0, os.time()",
            "function setup(thread) thread:set('tid', threads); threads = threads + 1 end",
            "function request()",
            "  n = n + 1",
            f'  return wrk.format(nil, {_lua_string(path + ("&" if "?" in path else "?"))} .. "_bench=" .. run'
            ' .. "-" .. tid .. "-" .. n)',
            "end",
        ]
    if write == "bid":
        tokens = ", ".join(f'"{t}"' for t in fx.bidder_tokens)
        ids = ", ".join(str(i) for i in fx.bidder_ids)
        lines += [
            f"local tokens = {{{tokens}}}", f"local ids = {{{ids}}}", f"local tenders = {fx.tenders}",
            f"local body = {_lua_string(json.dumps(BID_BODY))}",
            "local threads, counter, offset = 0, 0, 0",
            "function setup(thread) thread:set('tid', threads); threads = threads + 1 end",
            "function init(args) offset = tonumber(args[1]); nthreads = tonumber(args[2]) end",
            "function request()",
            "  local i = offset + counter * nthreads + tid",
            "  counter = counter + 1",
            "  local k = i % #tokens",
            "  local tender = 1 + math.floor(i / #tokens) % tenders",
            '  return wrk.format("POST", "/api/v1/tenders/" .. tender .. "/bids",'
            ' {["Content-Type"] = "application/json", ["Accept-Language"] = "zh-CN",'
            ' ["Authorization"] = "Bearer " .. tokens[k + 1], ["X-Bench-User"] = tostring(ids[k + 1])}, body)',
            "end",
        ]
    path = directory / f"{re.sub(r'[^a-z0-9]+', '_', endpoint['name'].lower())}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    """`make run`'s web command (scripts/run.py) on `port`, in its own process group."""
    command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
               "--limit-request-line", "8190", "--limit-request-field_size", "16380", target]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # noqa: S603 (our command)
                                stderr=out, start_new_session=True)


def wait_ready(proc: subprocess.Popen, port: int, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited with {proc.returncode}; its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/tenders?per_page=1", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"a server on port {port} was not ready after {timeout:.0f} s; its log:\n"
                     f"{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, script: Path, connections: int, duration: float, args=()) -> dict:  # noqa: PLR0917
    threads = min(2, connections)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(duration)}s", "--latency",
               "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}{path}"]
    if args:
        command += ["--", *map(str, args), str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (our own command line)
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}")
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)\b", out).groups()
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": float(value) * UNITS[unit],
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "errors": errors + (sum(map(int, re.findall(r"\d+", socket_errors.group(1)))) if socket_errors else 0)}


def drive(servers: dict, path: str, script: Path, args, offset: int | None) -> tuple[dict, int | None]:
    """Best of --runs at 8 connections per side (the sides alternating), then p50 at 1 connection. For
    bids `offset` is where the (bidder, tender) pairs start; each run starts past the pairs of the runs
    before it, and past those sent but not answered. Returns the best run per side and the next offset."""
    best: dict = {"witkey": None, "bare": None}

    def one(side: str, connections: int) -> dict:
        nonlocal offset
        r = wrk(servers[side], path, script, connections, args.duration, () if offset is None else (offset,))
        if offset is not None:
            offset += r["requests"] + 1000
        return r

    sides = ("witkey", "bare") if args.bare else ("witkey",)
    if not args.bare:
        best["bare"] = {"rps": 0.0, "p50": 0.0, "p50_1c": 0.0, "requests": 0, "errors": 0}
    for run in range(args.runs):
        for side in sides if run % 2 == 0 else sides[::-1]:
            r = one(side, 8)
            if best[side] is None or r["rps"] > best[side]["rps"]:
                best[side] = r
    for side in sides:
        single = one(side, 1)
        best[side]["p50_1c"] = single["p50"]
        best[side]["errors"] += single["errors"]
    return best, offset


def prepare(size: int, url: str, args, workdir: Path,
            name: str | None = None) -> tuple[dict, web_seed.Shape, web_seed.Fixture]:
    """`size` tenders in a fresh `<db>_<name>` database (or, with --reuse, the one a --keep run left): the
    servers' environment, the shape and the fixture. bench/profile_web.py shares it (its own `name`)."""
    from app import create_app  # noqa: PLC0415 (after DATABASE_URL names the bench database)
    from bench.common import fresh_database  # noqa: PLC0415

    name = name or f"bench_web_{size}"
    reused = args.reuse and kept_fixture(url, name)
    db_url = make_url(url).set(database=f"{make_url(url).database}_{name}").render_as_string(hide_password=False) \
        if reused else fresh_database(url, name)
    instance = workdir / f"instance-{size}"
    env = {**os.environ, "DATABASE_URL": db_url, "WITKEY_INSTANCE": str(instance), "FLASK_APP": "app",
           "MESSAGE_RATE_LIMIT": "1000000 per minute", "BARE_DATABASE_URL": db_url, "PYTHONDONTWRITEBYTECODE": "1"}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "WITKEY_INSTANCE", "MESSAGE_RATE_LIMIT")})
    started = time.monotonic()
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env,  # noqa: S603 (our own command line)
                   check=True, capture_output=True)
    shape = web_seed.Shape(size)
    app = create_app({"TESTING": True})
    if reused:
        fx = web_seed.Fixture(**reused)
        fx.brand_cookie = web_seed.resign_cookie(app, fx.brand_cookie)
        with app.app_context():
            from extensions import db  # noqa: PLC0415
            db.session.execute(db.text("ANALYZE"))  # after the migrations this run brought
            db.session.commit()
    else:
        with app.app_context():
            web_seed.seed(db_url, shape)
        fx = web_seed.fixture(app, shape)
    with app.app_context():
        from extensions import db  # noqa: PLC0415
        db.engine.dispose()
    print(f"\n{size:,} tenders, {5 * size:,} bids, {shape.providers + shape.bidders:,} providers: "
          f"{'reused' if reused else 'seeded'} in {time.monotonic() - started:.0f} s; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return env, shape, fx


def start_servers(size: int, env: dict, args, workdir: Path, stack: ExitStack) -> dict:
    """Witkey's gunicorn (and the baseline's, unless --no-bare) for `size`, stopped when `stack` closes."""
    servers = {}
    for side, target in (("witkey", "app:create_app()"), ("bare", "bench.web_bare:create_app()")):
        if side == "bare" and not args.bare:
            continue
        port, log = free_port(), workdir / f"{side}-{size}.log"
        proc = gunicorn(target, port, env, log)
        stack.callback(stop, proc)
        servers[side] = port
        wait_ready(proc, port, log)
    return servers


def measure_endpoint(endpoint: dict, servers: dict, fx: web_seed.Fixture, args, directory: Path, *,
                     offset: int) -> tuple[dict, int]:
    """drive() one endpoint; its best runs, printed, and the bids' next offset."""
    directory.mkdir(exist_ok=True)
    script = lua_script(endpoint, fx, directory, args.uncached)
    bids = endpoint.get("write") == "bid"
    best, after = drive(servers, endpoint.get("path", "/"), script, args, offset if bids else None)
    offset = after if bids else offset
    w, b = best["witkey"], best["bare"]
    ratio = w["rps"] / max(b["rps"], 0.01)
    print(f"  {endpoint['name']:44} {w['rps']:8.1f} / {b['rps']:8.1f} req/s = {ratio:5.2f}×   "
          f"p50 {w['p50_1c']:7.2f} / {b['p50_1c']:7.2f} ms"
          + (f"   NON-2xx: {w['errors']} / {b['errors']}" if w["errors"] or b["errors"] else ""),
          flush=True)
    if bids and offset >= len(fx.bidder_ids) * fx.tenders:
        print("  (more bids than (bidder, tender) pairs: some were refused as repeats; see NON-2xx)")
    return best, offset


def _selected(fx: web_seed.Fixture, args) -> list[dict]:
    return [e for e in endpoints(fx) if not args.only or re.search(args.only, e["name"])]


def measure(size: int, url: str, args, workdir: Path) -> dict:
    """Prepare `size` tenders, run both servers, measure every endpoint; the results."""
    started = time.monotonic()
    env, _, fx = prepare(size, url, args, workdir)
    results = {"loadavg": os.getloadavg(), "rows": {}}
    offset = fx.bid_offset
    with ExitStack() as stack:
        servers = start_servers(size, env, args, workdir, stack)
        for endpoint in _selected(fx, args):
            results["rows"][endpoint["name"]], offset = measure_endpoint(endpoint, servers, fx, args, workdir,
                                                                             offset=offset)
    results["seconds"] = time.monotonic() - started
    fx.bid_offset = offset
    if args.keep and size == max(args.scale, SMALL):
        keep_fixture(url, f"bench_web_{size}", fx)
    return results


def measure_interleaved(sizes: list[int], url: str, args, workdir: Path) -> dict:
    """--interleave: every size prepared and served at once, and each endpoint measured at each size in turn,
    --runs rounds (the order of the sizes alternating), one wrk run per size and round: a shared machine's
    load then weighs on the sizes alike, which sizes measured minutes apart do not get. Per size, the best
    req/s and the best 1-connection p50 of the rounds are kept."""
    results, sides = {}, {}
    one_run = argparse.Namespace(**{**vars(args), "runs": 1})
    with ExitStack() as stack:
        for size in sizes:
            env, _, fx = prepare(size, url, args, workdir)
            sides[size] = {"fx": fx, "offset": fx.bid_offset, "servers": start_servers(size, env, args, workdir, stack)}
            results[size] = {"loadavg": os.getloadavg(), "rows": {}}
        for name in [e["name"] for e in _selected(sides[sizes[0]]["fx"], args)]:
            for run in range(args.runs):
                for size in sizes if run % 2 == 0 else sizes[::-1]:
                    side = sides[size]
                    endpoint = next(e for e in endpoints(side["fx"]) if e["name"] == name)
                    print(f"  [{size:,}]", end="")
                    best, side["offset"] = measure_endpoint(endpoint, side["servers"], side["fx"], one_run,
                                                            workdir / f"scripts-{size}", offset=side["offset"])
                    kept = results[size]["rows"].setdefault(name, best)
                    for part in ("witkey", "bare"):
                        if best[part]["rps"] > kept[part]["rps"]:
                            kept[part] = {**best[part], "p50_1c": kept[part]["p50_1c"]}
                        kept[part]["p50_1c"] = min(kept[part]["p50_1c"], best[part]["p50_1c"]) \
                            if kept[part]["p50_1c"] else best[part]["p50_1c"]
    for size in sizes:
        sides[size]["fx"].bid_offset = sides[size]["offset"]
        if args.keep and size == max(sizes):
            keep_fixture(url, f"bench_web_{size}", sides[size]["fx"])
    return results


def _admin(url: str):
    from sqlalchemy import create_engine  # noqa: PLC0415

    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def keep_fixture(url: str, name: str, fx: web_seed.Fixture) -> None:
    """Leave the database for --reuse (and EXPLAIN), the fixture in its comment."""
    from sqlalchemy import text  # noqa: PLC0415

    admin = _admin(url)
    with admin.connect() as conn:
        comment = json.dumps(fx.__dict__).replace("'", "''")
        conn.execute(text(f'COMMENT ON DATABASE "{make_url(url).database}_{name}" IS \'{comment}\''))
    admin.dispose()


def kept_fixture(url: str, name: str) -> dict | None:
    """The fixture a --keep run left in its database's comment, if that database is there."""
    from sqlalchemy import text  # noqa: PLC0415

    admin = _admin(url)
    with admin.connect() as conn:
        comment = conn.scalar(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                   "WHERE datname = :n"), {"n": f"{make_url(url).database}_{name}"})
    admin.dispose()
    return json.loads(comment) if comment else None


def table(sizes: list[int], results: dict, args) -> str:
    head = ["endpoint"]
    for size in sizes:
        head += [f"{size:,}: Witkey req/s", "bare req/s", "ratio", "Witkey p50 ms (1 conn)", "bare p50 ms"]
    if len(sizes) > 1:
        head.append(f"Witkey p50 growth {sizes[-1]:,} ÷ {sizes[0]:,}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in results[sizes[-1]]["rows"]:
        cells = [f"`{name}`"]
        for size in sizes:
            row = results[size]["rows"][name]
            w, b = row["witkey"], row["bare"]
            cells += [f"{w['rps']:,.0f}{' ⚠' if w['errors'] else ''}", f"{b['rps']:,.0f}{' ⚠' if b['errors'] else ''}",
                      f"{w['rps'] / max(b['rps'], 0.01):.2f}×",
                      f"{w['p50_1c']:.1f}", f"{b['p50_1c']:.1f}"]
        if len(sizes) > 1:
            first, last = results[sizes[0]]["rows"][name], results[sizes[-1]]["rows"][name]
            cells.append(f"{last['witkey']['p50_1c'] / first['witkey']['p50_1c']:.1f}×")
        lines.append("| " + " | ".join(cells) + " |")
    runs = (f"sizes interleaved (`--interleave`: all served at once, each endpoint measured at each size in turn, "
            f"{args.runs} rounds, the sizes' order alternating); per size the best req/s of the rounds at "
            f"8 connections and the best p50 of one {args.duration:g} s run at 1 connection after each"
            if args.interleave else
            f"best of {args.runs} runs per side (sides alternating); p50 from one {args.duration:g} s run at "
            "1 connection")
    notes = [f"wrk, 8 connections, {args.duration:g} s a run, {runs}. gunicorn as `make run`: 2 sync workers."
             + (" Reads uncached (`--uncached`: each request its own `_bench=` parameter, so the public page "
                "cache never answers)." if args.uncached else ""),
             f"Machine: {os.cpu_count()} cores, shared. Load average (1, 5, 15 min) at the start of each size: "
             + "; ".join(f"{s:,}: " + " ".join(f"{x:.2f}" for x in results[s]["loadavg"]) for s in sizes) + "."]
    if any(r[side]["errors"] for s in sizes for r in results[s]["rows"].values() for side in ("witkey", "bare")):
        notes.append("⚠: some answers were not 2xx/3xx, or connections failed or timed out, in that row (the run's "
                     "output has the counts).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=SMALL, help="tenders at the largest size (1,000 runs too)")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per side and endpoint (the best is kept)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--out", help="also write the table (Markdown) here")
    parser.add_argument("--uncached", action="store_true",
                        help="reads bypass the public page cache (a parameter of their own on each request)")
    parser.add_argument("--no-bare", dest="bare", action="store_false",
                        help="measure Witkey only (its p50 growth), without the bare baseline")
    parser.add_argument("--only", help="measure only the endpoints whose name matches this regular expression")
    parser.add_argument("--keep", action="store_true",
                        help="keep the largest size's database (<db>_bench_web_<size>) for --reuse and EXPLAIN")
    parser.add_argument("--interleave", action="store_true",
                        help="serve every size at once and measure each endpoint at each size in turn (the sizes "
                             "then share the machine's load alike: for the growth on a busy machine)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the databases a --keep run left (migrated to the head) instead of seeding")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench.web needs wrk, the HTTP load generator: apt-get install -y wrk")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("bench.web needs DATABASE_URL=postgresql://… (it creates and drops its own database)")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench.web needs REDIS_URL=redis://… (the app's limiter and queues)")
    sizes = sorted({SMALL, args.scale})
    workdir = Path(tempfile.mkdtemp(prefix="witkey-bench-web-"))
    results = {}
    try:
        if args.interleave:
            results = measure_interleaved(sizes, url, args, workdir)
        for size in sizes if not args.interleave else ():
            results[size] = measure(size, url, args, workdir)
    finally:
        for size in sizes:
            if not (args.keep and size == max(sizes)):
                drop_database(url, f"bench_web_{size}")
        shutil.rmtree(workdir, ignore_errors=True)
    out = table(sizes, results, args)
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n{out}")
    if args.out:
        Path(args.out).write_text(out)


def drop_database(url: str, name: str) -> None:
    from sqlalchemy import text  # noqa: PLC0415

    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}_{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
