import pytest

from config import ConfigError, DevelopmentConfig, ProductionConfig, load_config


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as err:
        ProductionConfig()
    assert "SECRET_KEY" in str(err.value) and "DATABASE_URL" in str(err.value)


def test_production_starts_with_secrets_and_secure_cookie(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/app")
    cfg = ProductionConfig()
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/app"
    assert cfg.SESSION_COOKIE_SECURE is True
    assert cfg.SESSION_COOKIE_NAME == "__Host-session"


def test_database_url_selects_database_in_development(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite")
    assert DevelopmentConfig().SQLALCHEMY_DATABASE_URI == "sqlite:////tmp/elsewhere.sqlite"
    monkeypatch.delenv("DATABASE_URL")
    assert DevelopmentConfig().SQLALCHEMY_DATABASE_URI.endswith("instance/safeguarding.sqlite")


def test_unknown_environment_name_is_explained():
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_config("staging-typo")


def test_idle_and_lifetime_defaults(monkeypatch):
    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)
    cfg = DevelopmentConfig()
    assert cfg.SESSION_IDLE_MINUTES == 30 and cfg.SESSION_LIFETIME_HOURS == 12


def test_only_production_refuses_the_published_demo_authenticator_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/app")
    assert ProductionConfig().DEMO_TOTP_SECRET_ALLOWED is False
    assert DevelopmentConfig().DEMO_TOTP_SECRET_ALLOWED is True
