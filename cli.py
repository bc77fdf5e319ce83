"""Command-line entry points: `flask users create-admin`, `flask demo load`, `flask finance reconcile`,
`flask search reindex`, `flask worker`, `flask cron`."""
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from demo.seed import DEMO_PASSWORD, database_is_empty, load_demo, write_sample_statement
from extensions import db
from services import installation, reconciliation, search_index, two_factor
from services.accounts import create_admin as create
from services.errors import DomainError
from workers.schedule import run_scheduler
from workers.worker import check_queues, run_worker


def register_cli(app: Flask) -> None:
    users = AppGroup("users", help="Manage accounts.")

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                  help="Asked for when not given.")
    @click.option("--name", default="Platform staff", help="Display name.")
    @click.option("--totp-secret", default=None, metavar="BASE32",
                  help="Enrol two-factor sign-in on this TOTP secret (base32, at least 26 characters). Without "
                       "it, the account can do nothing but enrol on its account page after signing in.")
    def create_admin(email: str, password: str, name: str, totp_secret: str | None):
        """Create a platform staff account (role admin)."""
        try:
            user = create(email=email, password=password, display_name=name)
            if totp_secret is not None:
                two_factor.enrol_with_secret(user, totp_secret)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            reasons = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or str(exc.message)
            raise click.ClickException(reasons) from exc
        click.echo(f"admin {user.email} created (id {user.id}); "
                   + ("two-factor sign-in enrolled" if user.totp_enabled else "enrol two-factor sign-in at /account"))

    demo = AppGroup("demo", help="Demo data.")

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def load(if_empty: bool):
        """Load demo brands, providers and tenders and print the demo logins."""
        if if_empty and not database_is_empty():
            click.echo("database has data; demo data not loaded")
            return
        logins = load_demo()
        db.session.commit()
        click.echo("\n".join([f"demo data loaded; every demo password is {DEMO_PASSWORD!r}",
                               *(f"  {role:9} {email}" for role, email in logins)]))
        click.echo("a bank statement to import (Staff → Bank statements), crediting the first brand: "
                   f"{write_sample_statement(current_app.instance_path)}")

    finance = AppGroup("finance", help="Finance: reconciliation.")

    @finance.command("reconcile")
    @click.option("--since", metavar="ISO-DATE-OR-DATETIME",
                  help="Compare Stripe's balance transactions from this moment on (a date is its first moment in UTC; "
                       "default: yesterday, UTC).")
    @click.option("--settle-minutes", type=click.IntRange(0, 7 * 24 * 60), default=15, show_default=True,
                  help="Leave Stripe objects younger than this to the next run.")
    def reconcile(since: str | None, settle_minutes: int):
        """Run the daily reconciliation now, store it, print its differences; exit 1 if there are any."""
        try:
            start = reconciliation.window_start(datetime.fromisoformat(since)) if since else None
        except ValueError as exc:
            raise click.BadParameter(f"not an ISO date or date-time: {since!r}", param_hint="--since") from exc
        run = reconciliation.run(settle=timedelta(minutes=settle_minutes), since=start, trigger="cli")
        db.session.commit()
        click.echo(f"reconciliation run {run.id}: {len(run.checked)} checks, {len(run.differences)} differences")
        for name, count in run.checked.items():
            click.echo(f"  {name:28} {count:>8} compared")
        if run.differences:
            click.echo(_table(run.differences))
            raise SystemExit(1)

    @app.cli.command("rotate-installation-id")
    def rotate_installation_id():
        """After restoring a backup: a new id for this installation's Stripe idempotency keys and objects."""
        key = installation.rotate()
        db.session.commit()
        click.echo(f"installation id is now {key}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--queues", callback=_queues_option(app), metavar="NAME[,NAME…]",
                  help=f"Serve only these queues, in this order (default: all, {','.join(app.config['RQ_QUEUES'])}).")
    def worker(burst: bool, queues: list[str] | None):
        """Run an RQ worker on this app's queues (or those --queues names)."""
        run_worker(app, burst=burst, queues=queues)

    @app.cli.command("cron")
    def cron():
        """Run the periodic-job scheduler (enqueues the jobs in workers/schedule.py)."""
        run_scheduler(app)

    for group in (users, demo, finance, _search_commands()):
        app.cli.add_command(group)


def _search_commands() -> AppGroup:
    search = AppGroup("search", help="Keyword search.")

    @search.command("reindex")
    def reindex():
        """Rewrite every search document (after the segmentation or its word list changed)."""
        count = search_index.reindex_all()
        db.session.commit()
        click.echo(f"{count} search documents rewritten")

    return search


def _table(differences: list[dict]) -> str:
    """The differences as aligned columns (amounts in minor units, as stored)."""
    head = ("check", "subject", "currency", "expected", "actual", "detail")
    rows = [head, *((d.get("check", ""), d.get("subject", ""), d.get("currency") or "",
                     "" if d.get("expected") is None else str(d["expected"]),
                     "" if d.get("actual") is None else str(d["actual"]), d.get("detail", "")) for d in differences)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _queues_option(app: Flask):
    """`--queues a,b`: the names, checked against RQ_QUEUES (an unknown one is a usage error, exit 2)."""

    def parse(_ctx, param, value: str | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return check_queues(app, value.split(","))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param=param) from exc

    return parse
