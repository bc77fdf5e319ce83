"""The application factory. `flask --app app ...` and gunicorn `app:create_app()` both start here."""
from babel import Locale
from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import db_routing
import models  # noqa: F401 (every model mapped before the first request)
from blueprints import (
    account,
    admin,
    auth,
    bids,
    brands,
    chargebacks,
    contests,
    contracts,
    conversations,
    disputes,
    evaluation,
    finance,
    main,
    market,
    notifications,
    org,
    payouts,
    providers,
    reviews,
    statements,
    tenders,
    wallet,
    webhooks,
)
from blueprints.api import bp as api_bp
from blueprints.errors import register_error_handlers
from blueprints.links import public_url, split_link
from blueprints.public_cache import init_public_cache
from blueprints.security import init_security
from blueprints.web import staff_two_factor_gate, unread_messages
from cli import register_cli
from config import Config
from extensions import babel, csrf, db, init_redis, limiter, login_manager, migrate
from i18n import (
    datetime_local,
    init_jinja,
    labels,
    locale_code,
    money,
    number,
    percent,
    relative,
    select_locale,
    select_timezone,
)
from models.search import include_name as search_include_name
from services import permissions, previews, search_index, sessions, use_marks
from services.notifications import CHANNELS as notification_channels
from services.notifications import unread_count
from texts import brand_score_text, mail_channel
from texts.terms import terms


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` overrides (tests use it)."""
    settings = Config().as_dict()
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)

    use_marks.init_app(app)  # before db.init_app: see services/use_marks.py
    db.init_app(app)
    db_routing.init_app(app)  # DATABASE_REPLICA_URL: anonymous public reads from the replica
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True,
                     include_name=search_include_name)  # the search index is not in the models: models/search.py
    init_redis(app)
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale_object, timezone_selector=select_timezone)
    init_jinja(app)  # templates' _() look the catalog up once per request, not per string
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please log in to see this page.")
    init_security(app)  # headers, HTTPS, proxies, no-store when signed in, a new CSRF secret at login
    init_public_cache(app)  # ETags, 304s and a short Redis cache for anonymous public reads

    @login_manager.user_loader
    def load_user(alternative_id: str):
        # "<user id>:<login token>": honoured only while that login stands (services.sessions)
        return sessions.resolve(alternative_id)

    _register_blueprints(app)
    app.before_request(staff_two_factor_gate)  # staff without two-factor sign-in may only enrol
    register_error_handlers(app)

    app.jinja_env.filters.update(money=money, dt=datetime_local, relative=relative, number=number, percent=percent)
    # `terms`: periods and counts read from their constants, for the texts that quote them; `allowed`: menus
    # show only what the role may use; `split_link`: a pasted link line's address apart from its extraction code
    app.jinja_env.globals.update(labels=labels, locale_code=locale_code, terms=terms, public_url=public_url,
                                 allowed=permissions.allowed,  # menus show only what the role may use
                                 uploads_for=previews.uploads_for,  # thumbnails beside file lists
                                 original_withheld=previews.original_withheld,
                                 principal_of=permissions.principal_of,  # whose avatar the header shows
                                 split_link=split_link,
                                 brand_badge=brand_score_text.badge,  # "Brand score 87" or "New brand"
                                 # search results: the words searched marked in escaped text (safe HTML)
                                 highlight=search_index.highlight, snippet=search_index.snippet)
    mail_channel.register(notification_channels)  # important notifications also go by e-mail

    @app.context_processor
    def unread_notifications():
        """The header's unread counts (notifications, messages): one query each, only for logged-in pages."""
        if current_user.is_authenticated:
            return {"unread_count": unread_count(current_user),
                    "unread_messages": unread_messages(current_user)}
        return {"unread_count": 0, "unread_messages": 0}

    register_cli(app)
    return app


_LOCALES: dict[str, Locale] = {}


def _locale_object() -> Locale:
    """i18n.select_locale's choice as a Babel Locale, parsed once per process: Flask-Babel parses the
    selector's string on every request (Locale.parse normalises it against the list of locale files),
    and takes a Locale as it is."""
    code = select_locale()
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


def _register_blueprints(app: Flask) -> None:
    for bp in (main.bp, auth.bp, account.bp, tenders.bp, bids.bp, evaluation.bp, contracts.bp, disputes.bp,
               chargebacks.bp, conversations.bp, notifications.bp, wallet.bp, statements.bp, payouts.bp, providers.bp,
               brands.bp, reviews.bp, contests.bp,
               admin.bp, finance.bp, webhooks.bp, org.bp, market.bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer tokens only; no cookie is ever accepted there
    app.register_blueprint(api_bp)


def __getattr__(name: str):
    # `flask --app app` finds `app` lazily, so importing this module (tests, gunicorn) builds nothing.
    if name == "app":
        return create_app()
    raise AttributeError(name)
