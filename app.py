"""The application factory. `flask --app app ...` and gunicorn `app:create_app()` both start here."""
from flask import Flask

from config import Config
from extensions import babel, csrf, db, init_redis, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` overrides (tests use it)."""
    settings = Config().as_dict()
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)

    import models  # noqa: F401  (the whole metadata, for Alembic and relationships)
    import services.rating_jobs  # noqa: F401  (session listeners must exist before the first commit)
    import workers.queues  # noqa: F401
    from i18n import datetime_local, labels, locale_code, money, number, percent, select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    init_redis(app)
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to see this page.")

    @login_manager.user_loader
    def load_user(user_id: str):
        from models import User
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    _register_blueprints(app)

    from blueprints.errors import register_error_handlers
    register_error_handlers(app)

    app.jinja_env.filters.update(money=money, dt=datetime_local, number=number, percent=percent)
    app.jinja_env.globals.update(labels=labels, locale_code=locale_code)
    _register_page_rules(app)

    @app.context_processor
    def unread_notifications():
        """The header's unread count: one COUNT query, only for logged-in pages."""
        from flask_login import current_user

        from services.notifications import unread_count
        if current_user.is_authenticated:
            return {"unread_count": unread_count(current_user)}
        return {"unread_count": 0}

    from cli import register_cli
    register_cli(app)
    return app


def _register_page_rules(app: Flask) -> None:
    """What a page may offer, asked of the services: templates never compare statuses themselves."""
    from services import bidding, disputes, escrow, evaluation, tenders

    app.jinja_env.globals.update(
        milestone_actions=escrow.allowed_actions, awaiting_funding=escrow.awaiting_funding,
        net_on_release=escrow.net_on_release, tender_actions=tenders.allowed_actions,
        bidding_open=tenders.bidding_open, bid_actions=bidding.allowed_actions,
        under_evaluation=evaluation.under_evaluation, dispute_actions=disputes.allowed_actions,
    )


def _register_blueprints(app: Flask) -> None:
    from blueprints import (
        account,
        admin,
        auth,
        bids,
        contracts,
        disputes,
        evaluation,
        finance,
        main,
        notifications,
        payouts,
        providers,
        reviews,
        statements,
        tenders,
        wallet,
        webhooks,
    )
    from blueprints.api import bp as api_bp

    for bp in (main.bp, auth.bp, account.bp, tenders.bp, bids.bp, evaluation.bp, contracts.bp, disputes.bp,
               notifications.bp, wallet.bp, statements.bp, payouts.bp, providers.bp, reviews.bp, admin.bp, finance.bp,
               webhooks.bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer tokens only; no cookie is ever accepted there
    app.register_blueprint(api_bp)


def __getattr__(name: str):
    # `flask --app app` finds `app` lazily, so importing this module (tests, gunicorn) builds nothing.
    if name == "app":
        return create_app()
    raise AttributeError(name)
