"""Limits browsers put on CORS values, which the Fetch standard leaves to them.

One home for numbers the policy's warnings and the audit both quote.
"""

from __future__ import annotations

# Access-Control-Max-Age: Chromium (since version 76) caches a preflight for at most 2 hours,
# Firefox for at most 24 hours (MDN, "Access-Control-Max-Age").
CHROMIUM_MAX_AGE_CAP = 7200
FIREFOX_MAX_AGE_CAP = 86400
