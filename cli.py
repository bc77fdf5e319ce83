"""Command-line entry points: `flask users create-admin`, `flask demo load`, `flask worker`, `flask cron`."""
import click
from flask import Flask
from flask.cli import AppGroup

from demo.seed import DEMO_PASSWORD, database_is_empty, load_demo
from extensions import db
from services import installation
from services.accounts import create_admin as create
from services.errors import DomainError
from workers.schedule import run_scheduler
from workers.worker import run_worker


def register_cli(app: Flask) -> None:
    users = AppGroup("users", help="Manage accounts.")

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                  help="Asked for when not given.")
    @click.option("--name", default="Platform staff", help="Display name.")
    def create_admin(email: str, password: str, name: str):
        """Create a platform staff account (role admin)."""
        try:
            user = create(email=email, password=password, display_name=name)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            reasons = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or str(exc.message)
            raise click.ClickException(reasons) from exc
        click.echo(f"admin {user.email} created (id {user.id})")

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
        click.echo(f"demo data loaded; every demo password is {DEMO_PASSWORD!r}")
        for role, email in logins:
            click.echo(f"  {role:9} {email}")

    @app.cli.command("rotate-installation-id")
    def rotate_installation_id():
        """After restoring a backup: a new id for this installation's Stripe idempotency keys and objects."""
        key = installation.rotate()
        db.session.commit()
        click.echo(f"installation id is now {key}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker(burst: bool):
        """Run an RQ worker on this app's queues."""
        run_worker(app, burst=burst)

    @app.cli.command("cron")
    def cron():
        """Run the periodic-job scheduler (enqueues the jobs in workers/schedule.py)."""
        run_scheduler(app)

    app.cli.add_command(users)
    app.cli.add_command(demo)
