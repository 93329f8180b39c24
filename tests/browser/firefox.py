"""Run a request in Firefox ESR and read Firefox's own verdict.

Firefox is started headless with Marionette (its built-in remote protocol; there is no
geckodriver here) and driven with ``marionette_driver``. The page runs the same
``corsProbe`` as in Chromium; Firefox's verdict is what its console shows: every CORS
message is an ``nsIScriptError`` whose ``category`` is the message's key in Firefox's
``security.properties`` (``CORSMissingAllowOrigin2`` is the current wording of
``CORSMissingAllowOrigin``). The console service is read in chrome context, which needs
``-remote-allow-system-access``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIREFOX = "/usr/bin/firefox-esr"

# A closed machine: no update, telemetry, safe-browsing, captive-portal or prefetch traffic,
# nothing at startup but the page the test opens (the Chromium flags' counterpart).
PREFS: dict[str, object] = {
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "network.prefetch-next": False,
    "network.proxy.type": 0,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "devtools.console.stdout.content": False,
}

# Keys of messages that are Firefox's CORS verdicts (errors) or CORS deprecation warnings.
_CORS_KEY = re.compile(r"^(CORS[A-Za-z]+?)\d*$")

READ_CONSOLE = """
const out = [];
for (const m of Services.console.getMessageArray() || []) {
  if (!(m instanceof Ci.nsIScriptError)) continue;
  out.push({category: m.category, message: m.errorMessage,
            warning: Boolean(m.flags & Ci.nsIScriptError.warningFlag)});
}
return out;
"""
RESET_CONSOLE = "Services.console.reset(); return true;"
# A fresh start for the next test: no cookies, no HTTP or preflight cache.
FORGET = """
const resolve = arguments[arguments.length - 1];
const f = Ci.nsIClearDataService;
const flags = f.CLEAR_COOKIES | f.CLEAR_ALL_CACHES | (f.CLEAR_PREFLIGHT_CACHE || 0);
// Close the kept-alive connections too: the test's servers stop after the test.
Services.obs.notifyObservers(null, "net:prune-all-connections");
Services.clearData.deleteData(flags, () => resolve(true));
"""
PROBE = """
// Marionette's script sees the page through Xray wrappers: reach the page's own objects.
const [options, resolve] = arguments;
const page = window.wrappedJSObject;
page.corsProbe(page.JSON.parse(options)).then(
  (r) => resolve(String(page.JSON.stringify(r))),
  (e) => resolve(JSON.stringify({ok: false, error: String(e)})),
);
"""


@dataclass(frozen=True)
class ConsoleMessage:
    key: str  # the message's key without its wording version: CORSMissingAllowOrigin
    warning: bool
    text: str


@dataclass(frozen=True)
class FirefoxVerdict:
    """What Firefox did with one request."""

    ok: bool
    messages: tuple[ConsoleMessage, ...] = ()
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error_text: str | None = None
    page_origin: str | None = None

    @property
    def errors(self) -> list[str]:
        return [m.key for m in self.messages if not m.warning]

    @property
    def warnings(self) -> list[str]:
        return [m.key for m in self.messages if m.warning]

    @property
    def outcome(self) -> str:
        """``"ok"`` or Firefox's first CORS error key, the vocabulary explain predicts in."""
        if self.ok:
            return "ok"
        errors = self.errors
        if errors:
            return errors[0]
        # Failed outside CORS: the console has no CORS message, fetch() a NetworkError.
        if "NetworkError" in (self.error_text or ""):
            return "NetworkError"
        return f"failed without a CORS message: {self.error_text}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _pref(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Firefox:
    """One headless Firefox ESR process with one Marionette session."""

    def __init__(self, binary: str = FIREFOX) -> None:
        with warnings.catch_warnings():
            # marionette_driver's imports use deprecated APIs (mozinfo asks
            # distro.linux_distribution, mozdevice imports telnetlib): not this project's.
            for message in ("distro.linux_distribution", "'telnetlib' is deprecated"):
                warnings.filterwarnings("ignore", message, category=DeprecationWarning)
            from marionette_driver.marionette import Marionette

        self.profile = Path(tempfile.mkdtemp(prefix="cors-gate-firefox-"))
        self.port = _free_port()
        prefs = {**PREFS, "marionette.port": self.port}
        (self.profile / "user.js").write_text(
            "".join(f'user_pref("{k}", {_pref(v)});\n' for k, v in prefs.items())
        )
        env = {**os.environ, "MOZ_HEADLESS": "1"}
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--marionette",
                "-remote-allow-system-access",
                "-no-remote",
                "-profile",
                str(self.profile),
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 60
        while not _listening(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError(f"{binary} did not open Marionette on port {self.port}")
            time.sleep(0.1)
        self.client = Marionette(host="127.0.0.1", port=self.port, startup_timeout=60)
        self.client.start_session()
        self.client.timeout.script = 20

    def version(self) -> str:
        with self.client.using_context("chrome"):
            return str(self.client.execute_script("return Services.appinfo.version;"))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            with contextlib.suppress(Exception):  # the process is being torn down either way
                client.delete_session()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def forget(self) -> None:
        """Clear cookies and caches (the preflight cache too) and leave the page."""
        self.client.switch_to_frame()
        self.client.navigate("about:blank")
        with self.client.using_context("chrome"):
            self.client.execute_async_script(FORGET)

    def _console(self) -> list[dict[str, Any]]:
        with self.client.using_context("chrome"):
            return list(self.client.execute_script(READ_CONSOLE))

    def _reset_console(self) -> None:
        with self.client.using_context("chrome"):
            self.client.execute_script(RESET_CONSOLE)

    def _open(self, page_origin: str, sandboxed: bool) -> None:
        """Load the probe page (the top frame) and, for Origin: null, enter its sandboxed
        iframe, whose script the top frame cannot reach."""
        target = f"{page_origin}/{'sandbox' if sandboxed else 'runner'}.html"
        self.client.switch_to_frame()
        if self.client.get_url() != target:
            self.client.navigate(target)
        if sandboxed:
            self.client.switch_to_frame(self.client.find_element("id", "probe"))
        deadline = time.monotonic() + 5
        while not self.client.execute_script("return window.wrappedJSObject.probeReady === true;"):
            assert time.monotonic() < deadline, "the probe page did not load in Firefox"
            time.sleep(0.02)

    def cors_messages(self) -> list[ConsoleMessage]:
        out = []
        for m in self._console():
            match = _CORS_KEY.match(m["category"] or "")
            if match:
                out.append(ConsoleMessage(match.group(1), bool(m["warning"]), m["message"]))
        return out

    def run_fetch(
        self,
        page_origin: str,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        credentials: str = "omit",
        body: str | None = None,
        *,
        sandboxed: bool = False,
        api: str = "fetch",
    ) -> FirefoxVerdict:
        self._open(page_origin, sandboxed)
        self._reset_console()
        options = {
            "url": url,
            "method": method,
            "headers": headers or {},
            "credentials": credentials,
            "body": body,
            "api": api,
        }
        result: dict[str, Any] = json.loads(
            self.client.execute_async_script(PROBE, script_args=[json.dumps(options)])
        )
        # The parent process logs CORS messages (the deprecation warning while it checks
        # the preflight, before the answer); an error can trail the rejected promise.
        deadline = time.monotonic() + 1.5
        messages = self.cors_messages()
        while not result["ok"] and not messages and time.monotonic() < deadline:
            time.sleep(0.05)
            messages = self.cors_messages()
        return FirefoxVerdict(
            ok=bool(result["ok"]),
            messages=tuple(messages),
            status=result.get("status"),
            headers=dict(result.get("headers") or {}),
            body=str(result.get("body") or ""),
            error_text=result.get("error"),
            page_origin=result.get("origin"),
        )
