"""ORM cases that only mean something on MariaDB with utf8mb4.

Not collected by a plain `pytest` run (the name does not match test_*.py): test_mariadb.py
runs this file, with the middleware suite, in a pytest process pointed at the MariaDB server
through tests/integration/settings_mariadb.py.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cors_gate.models import PATTERN_MAX_LENGTH, AllowedOrigin
from cors_gate.origins import parse_pattern

pytestmark = pytest.mark.django_db

# The longest entry the grammar accepts: a 253-character host and a five-digit port.
LONGEST_HOST = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
LONGEST = f"https://{LONGEST_HOST}:65535"


def test_this_process_really_talks_to_mariadb_in_utf8mb4() -> None:
    assert connection.vendor == "mysql" and connection.mysql_is_mariadb
    with connection.cursor() as cur:
        cur.execute(
            "SELECT TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            [AllowedOrigin._meta.db_table],
        )
        (collation,) = cur.fetchone()
    assert collation.startswith("utf8mb4_")


def test_the_unique_index_refuses_a_duplicate_pattern() -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Written differently, normalised to the same text by the model: the index decides.
        AllowedOrigin.objects.create(pattern="HTTPS://Apps.Example.com:443/")
    assert list(AllowedOrigin.objects.values_list("pattern", flat=True)) == [
        "https://apps.example.com"
    ]


def test_the_longest_valid_pattern_fits_the_indexed_column() -> None:
    assert len(LONGEST) == 267 <= PATTERN_MAX_LENGTH
    assert parse_pattern(LONGEST).text == LONGEST
    AllowedOrigin.objects.create(pattern=LONGEST)
    wildcard = f"https://*.{LONGEST_HOST[2:]}:*"
    AllowedOrigin.objects.create(pattern=wildcard)
    stored = set(AllowedOrigin.objects.values_list("pattern", flat=True))
    assert stored == {LONGEST, wildcard}
    with pytest.raises(IntegrityError), transaction.atomic():
        AllowedOrigin.objects.bulk_create([AllowedOrigin(pattern=LONGEST)])


def test_four_byte_characters_round_trip_and_idn_is_stored_as_punycode() -> None:
    rule = AllowedOrigin.objects.create(pattern="https://bücher.example", note="MFE 🚀 ✓")
    rule.refresh_from_db()
    assert rule.pattern == "https://xn--bcher-kva.example"
    assert rule.note == "MFE 🚀 ✓"


def test_observation_flushes_add_up_with_one_upsert_per_chunk() -> None:
    """INSERT ... ON DUPLICATE KEY UPDATE: a second flush adds to the row, never fails on it."""
    from cors_gate import observe
    from cors_gate.models import ObservedOrigin

    recorder = observe.Recorder(interval=3600)
    recorder.record("https://a.example", False, "/x", "GET")
    assert recorder.flush().written == 1
    recorder.record("https://a.example", True, "/y", "POST")
    recorder.record("https://a.example", True, "/y", "POST")
    recorder.record("https://b.example", False, "/z", "PUT")
    result = recorder.flush()
    assert (result.written, result.failed) == (2, False)
    row = ObservedOrigin.objects.get(origin="https://a.example")
    assert (row.count, row.would_allow, row.last_path, row.last_method) == (3, True, "/y", "POST")
    assert ObservedOrigin.objects.get(origin="https://b.example").count == 1
