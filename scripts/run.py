"""`make run`: web (gunicorn) + RQ worker + periodic scheduler, on the embedded default or on
DATABASE_URL / REDIS_URL from the environment. Ctrl-C stops all three."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    # imported here, after the project root is on sys.path (this file runs as a script from scripts/)
    from app import create_app  # noqa: PLC0415
    from demo.seed import ADMIN_EMAIL, BRANDS, DEMO_PASSWORD, PROVIDERS  # noqa: PLC0415

    app = create_app()  # starts the embedded redis-server when REDIS_URL is unset, and keeps it
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "FLASK_APP": "app"}
    port = os.environ.get("PORT", "5000")
    bin_dir = Path(sys.executable).parent
    commands = [
        [str(bin_dir / "flask"), "worker"],
        [str(bin_dir / "flask"), "cron"],
        [str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
         # above the app's own limits (blueprints/errors.py), so the API answers 414 / 431 in JSON
         "--limit-request-line", "8190", "--limit-request-field_size", "16380", "app:create_app()"],
    ]
    # Our own executables with fixed arguments, so no untrusted input reaches the shell-less spawn.
    children = [subprocess.Popen(command, cwd=ROOT, env=env) for command in commands]  # noqa: S603
    time.sleep(1.5)
    print(f"\n  Witkey is running at http://127.0.0.1:{port}\n", flush=True)
    print(f"  Demo logins (password {DEMO_PASSWORD}):")
    print(f"    staff     {ADMIN_EMAIL}")
    for email, *_ in BRANDS:
        print(f"    brand     {email}")
    for email, *_ in PROVIDERS[:4]:
        print(f"    provider  {email}")
    print(f"    … and {len(PROVIDERS) - 4} more providers (see demo/seed.py)")
    print("\n  Ctrl-C stops web, worker and scheduler.\n", flush=True)

    def stop(*_args):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
