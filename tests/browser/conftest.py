"""Fixtures of the browser suite: one Chromium for the suite, loopback servers, a probe.

Origins on loopback:
* the project under test: ``http://127.0.0.1:<django>`` (also reachable as ``localhost``);
* the front-end pages: ``http://127.0.0.1:<pages>``, ``http://localhost:<pages>`` and
  ``http://127.0.0.1:<sibling>``;
* the SSO provider of the forum case (see docs/reference/sources.rst): ``http://127.0.0.1:<idp>``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .firefox import Firefox
from .harness import CHROMIUM, CHROMIUM_ARGS, BrowserProbe
from .servers import DjangoServer, PageServer, RequestLog, django_handler

MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: install the Debian package 'chromium' (make test does, as root)"
)

BROWSER_URLCONF = "tests.browser.urls"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@dataclass(frozen=True)
class Site:
    """The loopback origins of one session."""

    django: DjangoServer
    pages: PageServer
    sibling: PageServer
    idp: PageServer
    log: RequestLog

    @property
    def api(self) -> str:
        """The project under test, as the pages call it."""
        return self.django.url()

    @property
    def page(self) -> str:
        """The usual front end: same site (127.0.0.1) as the API, other port."""
        return self.pages.url()

    @property
    def other_page(self) -> str:
        """A second front-end origin, with another host name (another site)."""
        return self.pages.url("localhost")

    @property
    def sibling_page(self) -> str:
        """A third front-end origin on 127.0.0.1: same site as ``page``, so Chromium's
        partitioned HTTP cache is shared between the two."""
        return self.sibling.url()


@pytest.fixture(scope="session")
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture(scope="package")
def site(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, request_log: RequestLog
) -> Iterator[Site]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        django = DjangoServer(request_log)
        django.start()
    pages = PageServer("pages", request_log)
    sibling = PageServer("pages", request_log)
    idp = PageServer("idp", request_log)
    for server in (pages, sibling, idp):
        server.start()
    yield Site(django=django, pages=pages, sibling=sibling, idp=idp, log=request_log)
    for server in (idp, sibling, pages):
        server.stop()
    django.stop()


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    """One Chromium for the whole browser suite, closed when the suite's last test is done.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it
    is open, so Django would refuse the tests' plain ORM calls; DJANGO_ALLOW_ASYNC_UNSAFE is
    set for exactly that span and restored after, so the rest of the session (async
    middleware tests, async_to_sync) runs with no loop and Django's usual checks.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(MISSING_CHROMIUM)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def use_middleware(site: Site, probe: BrowserProbe, settings: object) -> Callable[..., None]:
    """Serve the rest of the test through a handler built for this MIDDLEWARE list and
    these settings (middleware read some settings once, when the handler is built).

    Depends on ``probe``, which resets the server to the project's own handler first.
    """

    def switch(middleware: list[str], **at_build: object) -> None:
        # explain --in-process builds its handler from settings: keep them the same.
        settings.MIDDLEWARE = list(middleware)  # type: ignore[attr-defined]
        for name, value in at_build.items():
            setattr(settings, name, value)
        key = "|".join(middleware) + repr(sorted(at_build.items()))
        if key not in site.django.recorder.apps:
            site.django.recorder.apps[key] = django_handler(middleware, **at_build)
        site.django.recorder.active = key

    return switch


@pytest.fixture
def without_cors_gate(use_middleware: Callable[[list[str]], None]) -> None:
    """The project's middleware minus cors_gate: views alone decide the CORS headers."""
    from django.conf import settings

    use_middleware([m for m in settings.MIDDLEWARE if not m.startswith("cors_gate.")])


@pytest.fixture
def probe(
    site: Site, chromium: object, firefox: Firefox, transactional_db: None, settings: object
) -> Iterator[BrowserProbe]:
    """A fresh browser context (no cookies, empty preflight cache) with one probed page,
    and the session's Firefox (``probe.firefox``), whose cookies, caches and connections
    each test clears when it ends."""
    from django.conf import settings as django_settings
    from django.core.cache import caches

    settings.ROOT_URLCONF = BROWSER_URLCONF  # type: ignore[attr-defined]
    # explain's in-process and policy modes call "the site" at this URL.
    settings.CORS_GATE_SITE_URL = site.api  # type: ignore[attr-defined]
    for cache in caches.all():
        cache.clear()
    _forget_gate_state()
    site.django.recorder.active = "default"
    site.django.recorder.apps.setdefault("default", _LazyDefault(django_settings.MIDDLEWARE))
    context = chromium.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield BrowserProbe(page, site.log, firefox)
    context.close()
    firefox.forget()  # and close its connections, as closing the context does Chromium's


def _forget_gate_state() -> None:
    """The database was flushed between tests: drop the process's snapshot and recordings."""
    try:
        from cors_gate import observe, policy
    except ImportError:  # the core is not importable yet: the harness tests still run
        return
    policy.reset_for_tests()
    observe.reset_for_tests()


class _LazyDefault:
    """The project's own handler, built on first use (cors_gate may not import yet)."""

    def __init__(self, middleware: list[str]) -> None:
        self.middleware = list(middleware)
        self.app: object | None = None

    def __call__(self, environ: dict[str, object], start_response: Callable[..., object]) -> object:
        if self.app is None:
            self.app = django_handler(self.middleware)
        return self.app(environ, start_response)  # type: ignore[operator]


class Gate:
    """Configures cors_gate the way an operator does: through its services (validated,
    recorded, revision bumped), never by writing the tables behind its back."""

    def __init__(self) -> None:
        from cors_gate.services import Actor

        self.actor = Actor("shell")

    def allow(self, *patterns: str, **fields: object) -> None:
        from cors_gate.services import upsert_origins

        upsert_origins(list(patterns), actor=self.actor, **fields)  # type: ignore[arg-type]

    def policy(self, **changes: object) -> None:
        from cors_gate.services import update_policy

        update_policy(changes, actor=self.actor)


@pytest.fixture
def gate(probe: BrowserProbe) -> Gate:
    return Gate()
