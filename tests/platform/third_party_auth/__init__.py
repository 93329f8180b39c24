"""A stand-in for openedx-platform's `common.djangoapps.third_party_auth`, as far as the SAML
validator reads it: the same app label, model names, field names and field types, on
django-config-models' real `ConfigurationModel` (so `current()`, `current_set()`, `enabled`,
`change_date` and the KEY_FIELDS behave as on the platform).

Importable as `third_party_auth` when `tests/platform` is on sys.path (test_settings.py puts
it there). The organization foreign key is left out: edx-organizations is not installed.
"""
