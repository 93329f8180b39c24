"""Facts about origins the CORS rules share: public suffixes, code hosts, loopback, sites.

The Public Suffix List comes from the `publicsuffixlist` package, which ships it: the audit
never downloads anything. It is parsed once, by cors_gate.csrf; the audit asks it with
accept_unknown=False, so a made-up TLD ("examplexcom") is not a registrable suffix.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

from cors_gate.csrf import public_suffix_list

# Sites where anyone can publish a page (and so run script on that origin). Allowing one of
# them lets every user of the service read the answers; many are public suffixes as well.
CODE_HOSTS = (
    "codepen.io",
    "cdpn.io",
    "jsfiddle.net",
    "jshell.net",
    "jsbin.com",
    "codesandbox.io",
    "csb.app",
    "stackblitz.com",
    "stackblitz.io",
    "webcontainer.io",
    "glitch.me",
    "glitch.com",
    "repl.co",
    "repl.it",
    "replit.dev",
    "replit.app",
    "plnkr.co",
    "playcode.io",
    "jsitor.com",
    "github.io",
    "githubusercontent.com",
    "gitlab.io",
    "netlify.app",
    "vercel.app",
    "pages.dev",
    "herokuapp.com",
    "web.app",
    "firebaseapp.com",
    "surge.sh",
    "s3.amazonaws.com",
)

LOOPBACK_NAMES = ("localhost",)


def is_public_suffix(host: str) -> bool:
    """`com`, `github.io`, `s3.amazonaws.com`: names under which anyone can register."""
    host = host.strip(".").lower()
    return bool(host) and bool(public_suffix_list().is_public(host, accept_unknown=False))


def registrable_domain(host: str) -> str | None:
    """`lms.example.com` -> `example.com`; None for IPs, single labels and unknown TLDs."""
    host = host.strip(".").lower()
    if not host or _is_ip(host):
        return None
    value = public_suffix_list().privatesuffix(host, accept_unknown=False)
    return str(value) if value else None


def code_host(host: str) -> str | None:
    """The code-hosting service `host` belongs to, if any."""
    host = host.strip(".").lower()
    for domain in CODE_HOSTS:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def is_loopback(host: str) -> bool:
    host = host.strip("[]").strip(".").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def split(origin: str) -> SplitResult | None:
    """urlsplit that answers None instead of raising (bad IPv6 brackets, bad ports)."""
    try:
        parts = urlsplit(origin)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        return None
    return parts


def host_of(origin: str) -> str | None:
    parts = split(origin)
    return parts.hostname if parts is not None and parts.hostname else None


def site_of(origin: str) -> str | None:
    """The 'site' in the SameSite sense: scheme + registrable domain (or the host)."""
    parts = split(origin)
    if parts is None or not parts.hostname:
        return None
    return f"{parts.scheme}://{registrable_domain(parts.hostname) or parts.hostname}"
