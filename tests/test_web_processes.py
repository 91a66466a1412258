"""Two web processes (real gunicorn, as `make run` and production serve) on one database, as behind a load
balancer: signed in on one, carrying on on the other; signed out on one, signed out on both; wrong passwords
counted together, wherever they land."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
import requests
from sqlalchemy import select

from safeguarding import clock
from safeguarding.auth.models import Role, User
from safeguarding.auth.services import LOCK_AFTER_FAILURES
from safeguarding.extensions import db

from .conftest import PASSWORD, USING_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
pytestmark = pytest.mark.slow  # real processes


@pytest.fixture
def app(app_factory, tmp_path):
    """An app whose database the servers can open: a SQLite file, or the PostgreSQL test database."""
    if USING_POSTGRES:
        return app_factory()
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'shared.sqlite'}", SQLALCHEMY_ENGINE_OPTIONS={})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _nodes(app, **settings):
    """Two gunicorn processes of one worker each (two nodes behind a load balancer), sharing the database and the
    secret key and whatever `settings` name; yields their base URLs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "development", "SECRET_KEY": "two-nodes-test-key",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "LOGIN_RATE_LIMIT": "1000 per minute", **settings}
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen([str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:app"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, server in zip(urls, servers, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:  # still starting
                    pass
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()[-3000:]
                time.sleep(0.2)
        yield urls
    finally:
        for server in servers:
            server.terminate()
            server.communicate(timeout=30)


@pytest.fixture
def two_nodes(app):
    with _nodes(app) as urls:
        yield urls


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis server on loopback (Debian's redis-server; .ci/run installs it), as the shared store for
    the per-address limits; the test is skipped where it is not installed (the `redis` client is a requirement)."""
    server_path = shutil.which("redis-server")
    if not server_path:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen([server_path, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping()
                break
            except redis.RedisError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()[-2000:]
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.communicate(timeout=10)


def _csrf(page: requests.Response) -> str:
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page.text)
    assert field, page.text[:2000]
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def _post_form(browser: requests.Session, url: str, data: dict) -> requests.Response:
    token = _csrf(browser.get(url, timeout=10))
    return browser.post(url, data={**data, "csrf_token": token}, allow_redirects=False, timeout=10)


def _enrolled(make_user, role=Role.PRACTITIONER) -> User:
    user = make_user(role, "csc", name="Jo Two-Nodes")
    user.mfa_secret, user.mfa_enrolled_at = pyotp.random_base32(), clock.now()
    db.session.commit()
    return user


def test_signed_in_on_one_node_and_carrying_on_on_the_other(two_nodes, make_user):
    first, second = two_nodes
    user = _enrolled(make_user)
    browser = requests.Session()
    answer = _post_form(browser, f"{first}/sign-in", {"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/sign-in/code")
    # the second step on the other node: the half-signed-in state travels in the signed cookie
    answer = _post_form(browser, f"{second}/sign-in/code", {"code": pyotp.TOTP(user.mfa_secret).now()})
    assert answer.status_code == 302, answer.text[:2000]
    for node in (first, second, first):
        page = browser.get(f"{node}/my-work", allow_redirects=False, timeout=10)
        assert page.status_code == 200 and "Jo Two-Nodes" in page.text
    # signed out on one node: the session row is revoked, so the other refuses the same cookie
    home = browser.get(f"{second}/home", timeout=10)
    assert browser.post(f"{second}/sign-out", data={"csrf_token": _csrf(home)}, allow_redirects=False,
                        timeout=10).status_code == 302
    assert browser.get(f"{first}/my-work", allow_redirects=False, timeout=10).status_code == 302


def test_wrong_passwords_count_together_whichever_node_they_reach(two_nodes, make_user):
    first, second = two_nodes
    user = _enrolled(make_user)
    browser = requests.Session()
    for attempt in range(LOCK_AFTER_FAILURES):
        node = (first, second)[attempt % 2]
        answer = _post_form(browser, f"{node}/sign-in", {"email": user.email, "password": "not-the-password"})
        assert answer.status_code == 200
    db.session.expire_all()
    locked_until = db.session.execute(select(User.locked_until).where(User.id == user.id)).scalar_one()
    assert locked_until is not None and locked_until > clock.now()
    # locked on both nodes: the right password is refused too
    answer = _post_form(browser, f"{first}/sign-in", {"email": user.email, "password": PASSWORD})
    assert answer.status_code == 200


def _wrong_passwords_until_refused(urls: list[str], make_user, tries: int) -> list[int]:
    """Wrong sign-ins from one address, each for a different account (so no account lock interferes), alternating
    between the nodes: the status of each answer."""
    browser = requests.Session()
    statuses = []
    for attempt in range(tries):
        node = urls[attempt % 2]
        statuses.append(_post_form(browser, f"{node}/sign-in", {"email": f"nobody{attempt}@example.org",
                                                                 "password": "not-the-password"}).status_code)
    return statuses


def test_the_per_address_limit_counts_across_nodes_through_a_shared_store(app, make_user, redis_url):
    """RATELIMIT_STORAGE_URI pointing every node at one Redis: an address gets the limit once, not once a node."""
    with _nodes(app, LOGIN_RATE_LIMIT="4 per minute", RATELIMIT_STORAGE_URI=redis_url) as urls:
        statuses = _wrong_passwords_until_refused(urls, make_user, 6)
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429], statuses


def test_without_a_shared_store_each_node_counts_its_own(app, make_user):
    """Why the README asks for the shared store: in each process's memory, two nodes allow twice the limit."""
    with _nodes(app, LOGIN_RATE_LIMIT="4 per minute", RATELIMIT_STORAGE_URI="memory://") as urls:
        statuses = _wrong_passwords_until_refused(urls, make_user, 8)
    assert statuses == [200] * 8, statuses
