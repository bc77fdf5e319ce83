"""`make run`: web (gunicorn) + RQ worker + periodic scheduler, on the embedded default or on
DATABASE_URL / REDIS_URL from the environment, kept up by runtime/supervisor.py: one that dies is
restarted with backoff (the others go on serving). Ctrl-C or SIGTERM stops all three."""
import logging
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    # imported here, after the project root is on sys.path (this file runs as a script from scripts/)
    from app import create_app  # noqa: PLC0415
    from demo.seed import ADMIN_EMAIL, ADMIN_TOTP_SECRET, BRANDS, DEMO_PASSWORD, PROVIDERS  # noqa: PLC0415
    from runtime.supervisor import Supervisor  # noqa: PLC0415

    app = create_app()  # starts the embedded redis-server when REDIS_URL is unset, and keeps it
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "FLASK_APP": "app"}
    port = os.environ.get("PORT", "5000")
    bin_dir = Path(sys.executable).parent
    commands = {
        "worker": [str(bin_dir / "flask"), "worker"],
        "scheduler": [str(bin_dir / "flask"), "cron"],
        "web": [str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                # above the app's own limits (blueprints/errors.py), so the API answers 414 / 431 in JSON
                "--limit-request-line", "8190", "--limit-request-field_size", "16380", "app:create_app()"],
    }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor: %(message)s")
    supervisor = Supervisor(commands, cwd=ROOT, env=env)
    signal.signal(signal.SIGTERM, supervisor.stop)
    mail_url, mail_dir = app.config["MAIL_URL"], app.config["MAIL_DIR"] or Path(app.config["INSTANCE_PATH"]) / "mail"
    mail = f"SMTP {mail_url.rpartition('@')[2]}" if mail_url else f".eml files in {mail_dir}"
    banner = threading.Timer(1.5, _banner,
                             (port, ADMIN_EMAIL, BRANDS, DEMO_PASSWORD, PROVIDERS, mail, ADMIN_TOTP_SECRET))
    banner.daemon = True
    banner.start()
    supervisor.run()
    return 0


def _banner(port, admin_email, brands, password, providers, mail, totp_secret) -> None:  # noqa: PLR0913, PLR0917
    print(f"\n  Witkey is running at http://127.0.0.1:{port}\n", flush=True)
    print(f"  Demo logins (password {password}):")
    print(f"    staff     {admin_email}  (two-factor key {totp_secret}: add it to an authenticator app, or "
          f"get the code with .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{totp_secret}').now())\")")
    for email, *_ in brands:
        print(f"    brand     {email}")
    for email, *_ in providers[:4]:
        print(f"    provider  {email}")
    print(f"    … and {len(providers) - 4} more providers (see demo/seed.py)")
    print(f"\n  Outgoing mail: {mail}")
    print("\n  Ctrl-C stops web, worker and scheduler.\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
