"""The one place that changes rules and the policy, for every channel.

The admin, the management commands, the REST API and the shell all call these functions, so
every change is validated the same way, applied all-or-nothing and recorded (ChangeRecord)
with who made it and through which channel. Bad input raises `InvalidInput`, whose `str()`
is one line naming the field and the problem; nothing is changed when it is raised.

Keyword arguments that are `None` mean "leave as it is"; an empty value ("" or []) clears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from cors_gate import conf
from cors_gate import models as cors_models
from cors_gate.exceptions import InvalidInput, NotPermitted, OriginError
from cors_gate.models import (
    MODE_NAMES,
    AllowedOrigin,
    ChangeRecord,
    CorsPolicy,
    clean_names,
    clean_paths,
    credentials_refusal,
    shown,
    too_broad,
)
from cors_gate.origins import parse_pattern, parse_request_origin
from cors_gate.policy import REASONS, bump_revision

Channel = Literal["admin", "command", "api", "shell"]
CHANNELS: tuple[str, ...] = ("admin", "command", "api", "shell")


# The policy fields a caller may change, and how each is checked before anything is saved.
POLICY_FIELDS: tuple[str, ...] = (
    "mode",
    "allow_null_origin",
    "allow_credentials",
    "max_age",
    "exposed_headers",
    "allowed_methods",
    "allowed_headers",
    "urls_regex",
    "allow_private_network",
)
_POLICY_BOOLEANS = frozenset({"allow_null_origin", "allow_credentials", "allow_private_network"})
# The policy's list fields, each with the cleaner that normalises it.
_LIST_CLEANERS: dict[str, Callable[[Any], list[str]]] = {
    "exposed_headers": clean_names,
    "allowed_methods": lambda names: clean_names(names, kind="method"),
    "allowed_headers": clean_names,
}
# Fields of a rule that `change_origin` accepts.
ORIGIN_FIELDS: tuple[str, ...] = (
    "pattern",
    "enabled",
    "note",
    "paths",
    "expires_at",
    "csrf_trusted",
)


# --- who may do what ------------------------------------------------------------------------
#
# One table for every channel: the admin (forms and actions) and the API ask it before they
# offer or accept a change, and the services below enforce it again for any actor with a user,
# so no channel can do more than another. Commands run as whoever may run manage.py (no user).

OPERATIONS: dict[str, tuple[str, ...]] = {
    "add_origin": ("cors_gate.add_allowedorigin",),
    "change_origin": ("cors_gate.change_allowedorigin",),
    "enable_origin": ("cors_gate.change_allowedorigin",),
    "delete_origin": ("cors_gate.delete_allowedorigin",),
    # Allowing observed origins creates rules and enables existing disabled ones.
    "allow_observed": (
        "cors_gate.view_observedorigin",
        "cors_gate.add_allowedorigin",
        "cors_gate.change_allowedorigin",
    ),
    # A whole allow-list (Cloud Gate import) adds, enables and deletes rules.
    "replace_origins": (
        "cors_gate.add_allowedorigin",
        "cors_gate.change_allowedorigin",
        "cors_gate.delete_allowedorigin",
    ),
    "change_policy": ("cors_gate.change_corspolicy",),
}


def permitted(user: Any, operation: str) -> bool:
    """Whether `user` may perform `operation` (None: a command, which may)."""
    if user is None:
        return True
    return bool(user.is_active and user.has_perms(OPERATIONS[operation]))


def require(actor: Actor, *operations: str) -> None:
    """Refuse, before anything changes, an operation the actor's user may not perform."""
    for operation in operations:
        if not permitted(actor.user, operation):
            missing = [p for p in OPERATIONS[operation] if not actor.user.has_perm(p)]
            raise NotPermitted(
                "permission",
                gettext("%(user)s may not %(op)s (needs %(perms)s)")
                % {
                    "user": actor.user,
                    "op": operation.replace("_", " "),
                    "perms": ", ".join(missing or OPERATIONS[operation]),
                },
            )


@dataclass(frozen=True)
class Actor:
    """Who is making a change (None for automation) and through which channel."""

    channel: Channel
    user: Any = None  # a user instance, or None (commands, anonymous shell sessions)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise InvalidInput("channel", f"{self.channel!r} is not one of {', '.join(CHANNELS)}")
        if self.user is not None and not getattr(self.user, "is_authenticated", False):
            object.__setattr__(self, "user", None)  # AnonymousUser is nobody

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.pk

    def __str__(self) -> str:
        return f"{self.user} ({self.channel})" if self.user is not None else self.channel


@dataclass(frozen=True)
class Outcome:
    """What happened to one rule: action is add, change, unchanged, delete, enable, disable
    or absent (asked to remove a rule that does not exist)."""

    pattern: str
    action: str
    origin: AllowedOrigin | None = None


@dataclass(frozen=True)
class PolicyUpdate:
    """The policy after `update_policy`, what changed ({field: [old, new]}) and warnings."""

    policy: CorsPolicy
    changed: dict[str, list[Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --- recording --------------------------------------------------------------------------


def record_change(
    actor: Actor, action: str, target: str, object_repr: str, detail: Mapping[str, Any]
) -> ChangeRecord:
    """Write one ChangeRecord (the caller's transaction makes it all-or-nothing with the
    change itself)."""
    return ChangeRecord.objects.create(
        user_id=actor.user_id,
        channel=actor.channel,
        action=action,
        target=target,
        object_repr=object_repr[: ChangeRecord._meta.get_field("object_repr").max_length],
        detail=_jsonable(dict(detail)),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- validation helpers -----------------------------------------------------------------


def _first_message(exc: ValidationError, field: str) -> str:
    """The first message a model ValidationError gives for `field` (else its first message)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict.get(field, exc.messages)[0]
    return exc.messages[0] if exc.messages else str(exc)


def _first_error(exc: ValidationError, default_field: str) -> InvalidInput:
    """The first message of a model ValidationError, naming its field, as an InvalidInput."""
    name = next(iter(exc.error_dict), "__all__") if hasattr(exc, "error_dict") else "__all__"
    return InvalidInput(default_field if name == "__all__" else name, _first_message(exc, name))


def normalise_patterns(patterns: Iterable[str] | str) -> list[str]:
    """Each pattern in the engine's canonical form, duplicates dropped, order kept."""
    if isinstance(patterns, str):
        patterns = [patterns]
    result: dict[str, None] = {}  # ordered, and O(1) membership for thousands of patterns
    for raw in patterns:
        try:
            text = parse_pattern(raw).text
        except OriginError as exc:
            raise InvalidInput("pattern", f"{shown(raw, 90)} refused: {exc}") from None
        result[text] = None
    if not result:
        raise InvalidInput("pattern", "give at least one origin pattern")
    return list(result)


def parse_expiry(value: datetime | str | None) -> datetime | None:
    """An aware datetime in the future from a datetime or ISO-8601 text ("" = no expiry)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
            day = parse_date(value.strip()) if parsed is None else None
        except ValueError:
            parsed = day = None
        if day is not None:  # a bare date means its first moment
            parsed = datetime.combine(day, time.min)
        if parsed is None:
            raise InvalidInput(
                "expires_at", f"{value!r} is not an ISO-8601 date-time (e.g. 2030-01-31T00:00Z)"
            )
        value = parsed
    if not isinstance(value, datetime):
        raise InvalidInput("expires_at", f"must be a date-time, not {type(value).__name__}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    if value <= timezone.now():
        raise InvalidInput("expires_at", f"{value.isoformat()} is in the past")
    return value


def _field_value(name: str, check: Callable[[Any], Any], value: Any) -> Any:
    """`value` as the model field's own check leaves it (a validator leaves it as it is, a
    `clean_*` normalises it); its refusal as an InvalidInput naming the field."""
    try:
        cleaned = check(value)
    except ValidationError as exc:
        raise InvalidInput(name, exc.messages[0]) from None
    return value if cleaned is None else cleaned


def validate_note(note: Any) -> str:
    """A rule's note: one line of text within the column's length."""
    return str(_field_value("note", cors_models.validate_note, note))


def _clean_paths(paths: Any) -> list[str]:
    return list(_field_value("paths", clean_paths, paths))


def _clean_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(name, f"must be true or false, not {shown(value)}")
    return value


def _origin_state(origin: AllowedOrigin) -> dict[str, Any]:
    return {
        "pattern": origin.pattern,
        "enabled": origin.enabled,
        "note": origin.note,
        "paths": list(origin.paths or []),
        "expires_at": origin.expires_at,
        "csrf_trusted": origin.csrf_trusted,
    }


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


# --- the rules beyond one field ------------------------------------------------------------
#
# Every channel's checks: the services below run them before they write, the admin's forms
# through Model.clean(), and a direct Model.save() through `save_directly`. A field's own
# check is its validator (cors_gate.models), run first; when it failed, these rules have
# nothing to add and leave the error to it.


def check_origin(origin: AllowedOrigin) -> None:
    """Normalise a rule's pattern and paths and refuse what its fields alone cannot show:
    a pattern too broad while the policy sends credentials, CSRF trust for plain http.
    Raises ValidationError keyed by the field (a form shows it there)."""
    try:
        parsed = parse_pattern(origin.pattern)
    except OriginError:
        return  # the pattern field's own validator names the problem
    origin.pattern = parsed.text
    origin.paths = _normalised(clean_paths, origin.paths)
    broad = too_broad(parsed) if origin.enabled else None
    if broad and CorsPolicy.credentials_on():
        raise ValidationError({"pattern": credentials_refusal(parsed.text, broad)})
    if origin.csrf_trusted and parsed.scheme != "https":
        raise ValidationError({"csrf_trusted": "only https origins can be CSRF-trusted"})


def check_policy(policy: CorsPolicy) -> None:
    """Normalise the policy's lists and refuse credentials while an enabled rule lets any
    site in. Raises ValidationError keyed by the field."""
    for name, clean in _LIST_CLEANERS.items():
        setattr(policy, name, _normalised(clean, getattr(policy, name)))
    if policy.allow_credentials:
        broad = _broad_enabled_rule()
        if broad:
            raise ValidationError(
                {
                    "allow_credentials": gettext(
                        "cannot be on while %(pattern)s is enabled: it %(why)s; "
                        "disable or narrow that rule first"
                    )
                    % {"pattern": repr(broad[0]), "why": broad[1]}
                }
            )


def _normalised(clean: Callable[[Any], Any], value: Any) -> Any:
    """`clean(value)`, or `value` as it is when its field's own validator will refuse it."""
    try:
        return clean(value)
    except ValidationError:
        return value


def _broad_enabled_rule() -> tuple[str, str] | None:
    """The first enabled rule that lets any site in, and why (stored patterns are
    normalised: only one with a '*' can be broad)."""
    rules = (
        AllowedOrigin.objects.filter(enabled=True, pattern__contains="*")
        .order_by("pattern")
        .values_list("pattern", flat=True)
    )
    for text in rules.iterator():
        try:
            why = too_broad(parse_pattern(text))
        except OriginError:
            continue
        if why:
            return text, why
    return None


def _check(origin: AllowedOrigin) -> None:
    """`check_origin` for the services below, its refusal as an InvalidInput."""
    try:
        check_origin(origin)
    except ValidationError as exc:
        raise _first_error(exc, "pattern") from None


def _write(instance: AllowedOrigin | CorsPolicy, *args: Any, **kwargs: Any) -> None:
    """Write a row these services have checked (not again) and will record themselves."""
    models.Model.save(instance, *args, **kwargs)


def _validate(instance: AllowedOrigin | CorsPolicy) -> None:
    """Every field's validator, then the rules beyond one field (as a ModelForm does)."""
    meta = instance._meta
    instance.clean_fields(
        exclude=[field.name for field in meta.fields if not field.editable or field.is_relation]
    )
    instance.clean()


def save_directly(instance: AllowedOrigin | CorsPolicy, *args: Any, **kwargs: Any) -> None:
    """Model.save() called outside these services (the Django shell, another app's code):
    the same checks as every channel, and a ChangeRecord (channel "shell") for what changed,
    in one transaction. Refusals are Django's ValidationError, as from any model."""
    actor = Actor("shell")
    pk = instance.pk
    with transaction.atomic():
        if isinstance(instance, CorsPolicy):
            policy = CorsPolicy.objects.filter(pk=pk).first() if pk is not None else None
            before_policy = _policy_state(policy or CorsPolicy())
            _validate(instance)
            _write(instance, *args, **kwargs)
            changes = _diff(before_policy, _policy_state(instance))
            if changes:
                record_change(actor, "change", "policy", "CORS policy", changes)
            return
        origin = AllowedOrigin.objects.filter(pk=pk).first() if pk is not None else None
        before = _origin_state(origin) if origin else None
        _validate(instance)
        _write(instance, *args, **kwargs)
        after = _origin_state(instance)
        if before is None:
            record_change(actor, "add", "origin", instance.pattern, after)
        elif changes := _diff(before, after):
            record_change(actor, "change", "origin", instance.pattern, changes)


# --- which observed origins may become rules -----------------------------------------------


def observed_origin_refusal(origin: str) -> str | None:
    """Why an origin seen in traffic cannot become a rule, or None when it can.

    The one rule for the admin action, the API and `allow_observed`: only an entry the
    pattern grammar accepts that is also exactly a browser's serialisation of a real origin
    (so no wildcard, 'null', upper case, default port or invalid punycode) qualifies.
    """
    try:
        parse_pattern(origin)
    except OriginError as exc:
        return str(exc)
    if parse_request_origin(origin) is None:
        return gettext(REASONS["non-canonical"].summary)
    return None


def may_become_rule(origin: str) -> bool:
    return observed_origin_refusal(origin) is None


# --- rules --------------------------------------------------------------------------------


def upsert_origins(
    patterns: Iterable[str] | str,
    *,
    note: str | None = None,
    paths: Iterable[str] | str | None = None,
    expires_at: datetime | str | None = None,
    enabled: bool | None = None,
    csrf_trusted: bool | None = None,
    actor: Actor,
) -> list[Outcome]:
    """Add each pattern, or update the existing rule with the same normalised pattern.

    New rules are enabled unless `enabled=False`. Returns one Outcome per distinct pattern.
    """
    texts = normalise_patterns(patterns)
    values = _rule_values(
        note=note, paths=paths, expires_at=expires_at, enabled=enabled, csrf_trusted=csrf_trusted
    )
    with transaction.atomic():
        return _upsert(texts, values, actor)


def _upsert(texts: list[str], values: dict[str, Any], actor: Actor) -> list[Outcome]:
    """Plan every write first (so one refusal changes nothing), then save each rule."""
    planned = _plan_upsert(texts, values, actor)
    return [_save_planned(origin, before, actor) for origin, before in planned]


def add_origin(
    pattern: str,
    *,
    note: str | None = None,
    paths: Iterable[str] | str | None = None,
    expires_at: datetime | str | None = None,
    enabled: bool | None = None,
    csrf_trusted: bool | None = None,
    actor: Actor,
) -> Outcome:
    """Add one new rule; a pattern that already has a rule is refused (`upsert_origins`
    would update that rule instead)."""
    [text] = normalise_patterns([pattern])
    values = _rule_values(
        note=note, paths=paths, expires_at=expires_at, enabled=enabled, csrf_trusted=csrf_trusted
    )
    with transaction.atomic():
        _refuse_duplicate(text)
        [outcome] = _upsert([text], values, actor)
        return outcome


def _rule_values(
    *,
    note: str | None,
    paths: Iterable[str] | str | None,
    expires_at: datetime | str | None,
    enabled: bool | None,
    csrf_trusted: bool | None,
) -> dict[str, Any]:
    """The given (not None) rule fields, each checked and normalised."""
    values: dict[str, Any] = {}
    if note is not None:
        values["note"] = validate_note(note)
    if paths is not None:
        values["paths"] = _clean_paths(paths if isinstance(paths, str) else list(paths))
    if expires_at is not None:
        values["expires_at"] = parse_expiry(expires_at)
    if enabled is not None:
        values["enabled"] = _clean_bool("enabled", enabled)
    if csrf_trusted is not None:
        values["csrf_trusted"] = _clean_bool("csrf_trusted", csrf_trusted)
    return values


def _plan_upsert(
    texts: list[str], values: Mapping[str, Any], actor: Actor
) -> list[tuple[AllowedOrigin, dict[str, Any] | None]]:
    """Each rule with `values` applied and checked, with its state before (None: new), and
    the actor's permission for what that means; nothing is saved until every rule passes."""
    existing = {
        rule.pattern: rule
        for rule in AllowedOrigin.objects.select_for_update().filter(pattern__in=texts)
    }
    planned: list[tuple[AllowedOrigin, dict[str, Any] | None]] = []
    for text in texts:
        origin = existing.get(text)
        before = _origin_state(origin) if origin is not None else None
        if origin is None:
            origin = AllowedOrigin(pattern=text, created_by_id=actor.user_id)
        for name, value in values.items():
            setattr(origin, name, value)
        _check(origin)
        planned.append((origin, before))
    if any(before is None for _origin, before in planned):
        require(actor, "add_origin")
    if any(before is not None and _diff(before, _origin_state(o)) for o, before in planned):
        require(actor, "change_origin")
    return planned


def _save_planned(origin: AllowedOrigin, before: dict[str, Any] | None, actor: Actor) -> Outcome:
    after = _origin_state(origin)
    if before is None:
        origin.updated_by_id = actor.user_id
        _write(origin)
        record_change(actor, "add", "origin", origin.pattern, after)
        return Outcome(origin.pattern, "add", origin)
    changes = _diff(before, after)
    if not changes:
        return Outcome(origin.pattern, "unchanged", origin)
    origin.updated_by_id = actor.user_id
    _write(origin)
    record_change(actor, "change", "origin", origin.pattern, changes)
    return Outcome(origin.pattern, "change", origin)


def _refuse_duplicate(text: str, pk: int | None = None) -> None:
    """Refuse a pattern that another rule (not `pk`) already has."""
    others = AllowedOrigin.objects.filter(pattern=text)
    if pk is not None:
        others = others.exclude(pk=pk)
    if others.exists():
        raise InvalidInput(
            "pattern", gettext("%(pattern)s already has a rule") % {"pattern": repr(text)}
        )


def change_origin(target: int | str, changes: Mapping[str, Any], *, actor: Actor) -> Outcome:
    """Edit one rule (found by id or pattern), including renaming its pattern."""
    unknown = sorted(set(changes) - set(ORIGIN_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], f"is not a rule field (one of {', '.join(ORIGIN_FIELDS)})")
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "pattern":
            values[name] = normalise_patterns([value])[0]
        elif name == "note":
            values[name] = validate_note(value)
        elif name == "paths":
            values[name] = _clean_paths(value)
        elif name == "expires_at":
            values[name] = parse_expiry(value)
        else:
            values[name] = _clean_bool(name, value)
    require(actor, "change_origin")
    with transaction.atomic():
        origin = _find_origin(target)
        before = _origin_state(origin)
        for name, value in values.items():
            setattr(origin, name, value)
        _check(origin)
        if origin.pattern != before["pattern"]:
            _refuse_duplicate(origin.pattern, origin.pk)
        diff = _diff(before, _origin_state(origin))
        if not diff:
            return Outcome(origin.pattern, "unchanged", origin)
        origin.updated_by_id = actor.user_id
        _write(origin)
        record_change(actor, "change", "origin", origin.pattern, diff)
    return Outcome(origin.pattern, "change", origin)


def _find_origin(target: int | str) -> AllowedOrigin:
    if isinstance(target, int) and not isinstance(target, bool):
        found = AllowedOrigin.objects.select_for_update().filter(pk=target).first()
        if found is None:
            raise InvalidInput("id", f"no rule has id {target}")
        return found
    text = normalise_patterns([target])[0] if isinstance(target, str) else ""
    found = AllowedOrigin.objects.select_for_update().filter(pattern=text).first()
    if found is None:
        raise InvalidInput("pattern", f"{text or target!r} is not a rule")
    return found


def remove_origins(
    patterns: Iterable[str] | str, *, actor: Actor, missing_ok: bool = True
) -> list[Outcome]:
    """Delete the rules. Absent patterns are fine (idempotent) unless `missing_ok=False`."""
    texts = normalise_patterns(patterns)
    require(actor, "delete_origin")
    with transaction.atomic():
        existing = {
            o.pattern: o
            for o in AllowedOrigin.objects.select_for_update().filter(pattern__in=texts)
        }
        missing = [t for t in texts if t not in existing]
        if missing and not missing_ok:
            raise InvalidInput("pattern", f"{missing[0]!r} is not a rule")
        outcomes: list[Outcome] = []
        for text in texts:
            origin = existing.get(text)
            if origin is None:
                outcomes.append(Outcome(text, "absent"))
                continue
            state = _origin_state(origin)
            origin.delete()  # post_delete bumps the revision
            record_change(actor, "delete", "origin", text, state)
            outcomes.append(Outcome(text, "delete", None))
    return outcomes


def set_enabled(patterns: Iterable[str] | str, enabled: bool, *, actor: Actor) -> list[Outcome]:
    """Enable or disable existing rules (every pattern must have a rule)."""
    texts = normalise_patterns(patterns)
    enabled = _clean_bool("enabled", enabled)
    require(actor, "enable_origin")
    with transaction.atomic():
        existing = {
            o.pattern: o
            for o in AllowedOrigin.objects.select_for_update().filter(pattern__in=texts)
        }
        to_change: set[int] = set()
        for text in texts:
            origin = existing.get(text)
            if origin is None:
                raise InvalidInput("pattern", f"{text!r} is not a rule (add it first)")
            if origin.enabled != enabled:
                to_change.add(origin.pk)
                if enabled:
                    origin.enabled = True
                    _check(origin)  # e.g. "*" cannot come back on while credentials are on
        return _apply_enabled([existing[t] for t in texts], enabled, to_change, actor)


def set_enabled_ids(ids: Iterable[int], enabled: bool, *, actor: Actor) -> list[Outcome]:
    """The same as `set_enabled`, for rules chosen by id (admin bulk actions)."""
    enabled = _clean_bool("enabled", enabled)
    require(actor, "enable_origin")
    with transaction.atomic():
        rules = list(AllowedOrigin.objects.select_for_update().filter(pk__in=list(ids)))
        to_change = {o.pk for o in rules if o.enabled != enabled}
        for origin in rules:
            if origin.pk in to_change and enabled:
                origin.enabled = True
                _check(origin)
        return _apply_enabled(rules, enabled, to_change, actor)


def allow_observed(patterns: list[str], *, note: str, actor: Actor) -> list[Outcome]:
    """Allow origins seen in traffic, each of which must pass `observed_origin_refusal`:
    existing rules are enabled and keep their note, paths and expiry; the others become new
    enabled rules with `note`. Outcomes: the existing rules', then the new."""
    for origin in patterns:
        reason = observed_origin_refusal(origin)
        if reason is not None:
            raise InvalidInput(
                "origin",
                gettext("%(origin)s cannot become a rule: %(reason)s")
                % {"origin": shown(origin, 90), "reason": reason},
            )
    require(actor, "allow_observed")
    with transaction.atomic():
        existing = set(
            AllowedOrigin.objects.filter(pattern__in=patterns).values_list("pattern", flat=True)
        )
        outcomes = (
            set_enabled([origin for origin in patterns if origin in existing], True, actor=actor)
            if existing
            else []
        )
        new = [origin for origin in patterns if origin not in existing]
        if new:
            outcomes += upsert_origins(new, enabled=True, note=note, actor=actor)
    return outcomes


@dataclass(frozen=True)
class Replacement:
    """What `replace_origins` did: patterns added, enabled (were disabled), kept, deleted."""

    add: list[str]
    enable: list[str]
    keep: list[str]
    delete: list[str]

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in vars(self).items()}


_BATCH = 500  # rows per statement: within every database's limit on bound parameters


def _batches(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def plan_replacement(patterns: list[str]) -> Replacement:
    """What replacing the allow-list with `patterns` (normalised) would do; reads only."""
    stored = dict(AllowedOrigin.objects.values_list("pattern", "enabled"))
    wanted = set(patterns)
    return Replacement(
        add=[p for p in patterns if p not in stored],
        enable=[p for p in patterns if p in stored and not stored[p]],
        keep=[p for p in patterns if stored.get(p)],
        delete=sorted(p for p in stored if p not in wanted),
    )


def replace_origins(
    patterns: Iterable[str], *, actor: Actor, source: str, note: str = ""
) -> Replacement:
    """Make the allow-list exactly `patterns` (all enabled), all or nothing, in a few
    statements: one ChangeRecord (action "replace") with the counts, the added patterns and
    the deleted rules' full state, and one revision bump. Rules that stay keep their notes,
    paths, expiry and CSRF flag. Thousands of rules take a fraction of a second, where one
    save and one record per rule took minutes."""
    texts = normalise_patterns(list(patterns)) if patterns else []
    note = validate_note(note)
    require(actor, "replace_origins")
    with transaction.atomic():
        # Lock the policy row: credentials cannot turn on, and no other replace can run,
        # until this one commits.
        CorsPolicy.objects.get_or_create(pk=1)
        credentials = CorsPolicy.objects.select_for_update().get(pk=1).allow_credentials
        if credentials:
            for text in texts:
                broad = too_broad(parse_pattern(text)) if "*" in text else None  # normalised
                if broad:
                    raise InvalidInput("pattern", credentials_refusal(text, broad))
        plan = plan_replacement(texts)
        deleting = set(plan.delete)
        gone = [
            _jsonable(row)
            for row in AllowedOrigin.objects.order_by("pattern")
            .values(*ORIGIN_FIELDS)
            .iterator(chunk_size=2000)
            if row["pattern"] in deleting
        ]
        for batch in _batches(plan.delete):
            # A queryset delete with post_delete receivers loads and signals every row (one
            # revision bump each); this table has no reverse relations, so delete directly.
            AllowedOrigin.objects.filter(pattern__in=batch)._raw_delete(AllowedOrigin.objects.db)
        now = timezone.now()
        AllowedOrigin.objects.bulk_create(
            [
                AllowedOrigin(
                    pattern=text,
                    enabled=True,
                    note=note,
                    paths=[],
                    created_by_id=actor.user_id,
                    updated_by_id=actor.user_id,
                    created_at=now,
                    updated_at=now,
                )
                for text in plan.add
            ],
            batch_size=_BATCH,
        )
        for batch in _batches(plan.enable):
            AllowedOrigin.objects.filter(pattern__in=batch).update(
                enabled=True, updated_by_id=actor.user_id, updated_at=now
            )
        if plan.add or plan.enable or plan.delete:
            bump_revision()
            record_change(
                actor,
                "replace",
                "origin",
                f"allow-list ({source})",
                {
                    "source": source,
                    "counts": plan.counts(),
                    "add": plan.add,
                    "enable": plan.enable,
                    "delete": gone,
                },
            )
    return plan


def _apply_enabled(
    rules: list[AllowedOrigin], enabled: bool, to_change: set[int], actor: Actor
) -> list[Outcome]:
    """Flip `enabled` on the rules in `to_change` (their pks, taken from the locked rows
    before validation set the flag) and record each; the others are unchanged."""
    action = "enable" if enabled else "disable"
    outcomes: list[Outcome] = []
    if to_change:
        now = timezone.now()
        # update() sends no signals: bump the revision ourselves, once.
        AllowedOrigin.objects.filter(pk__in=to_change).update(
            enabled=enabled, updated_by_id=actor.user_id, updated_at=now
        )
        bump_revision()
    for origin in rules:
        if origin.pk in to_change:
            origin.enabled = enabled
            record_change(
                actor, action, "origin", origin.pattern, {"enabled": [not enabled, enabled]}
            )
            outcomes.append(Outcome(origin.pattern, action, origin))
        else:
            outcomes.append(Outcome(origin.pattern, "unchanged", origin))
    return outcomes


# --- policy -------------------------------------------------------------------------------


def _policy_state(policy: CorsPolicy) -> dict[str, Any]:
    return {
        name: list(getattr(policy, name) or []) if name in _LIST_CLEANERS else getattr(policy, name)
        for name in POLICY_FIELDS
    }


def update_policy(changes: Mapping[str, Any], *, actor: Actor) -> PolicyUpdate:
    """Change some policy fields at once. Lists may be lists or comma-separated text."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("policy", "changes must be a mapping of field to value")
    require(actor, "change_policy")
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        raise InvalidInput(
            unknown[0], f"is not a policy setting (one of {', '.join(POLICY_FIELDS)})"
        )
    values = {name: _policy_value(name, value) for name, value in changes.items()}
    with transaction.atomic():
        CorsPolicy.objects.get_or_create(pk=1)
        policy = CorsPolicy.objects.select_for_update().get(pk=1)
        before = _policy_state(policy)
        for name, value in values.items():
            setattr(policy, name, value)
        try:
            check_policy(policy)  # refuses credentials with a rule that lets any site in
        except ValidationError as exc:
            raise _first_error(exc, "policy") from None
        diff = _diff(before, _policy_state(policy))
        warning = policy.max_age_warning()
        warnings = [warning] if warning and "max_age" in diff else []
        if diff:
            policy.updated_by_id = actor.user_id
            _write(policy)  # post_save bumps the revision
            record_change(actor, "change", "policy", "CORS policy", diff)
    return PolicyUpdate(policy=policy, changed=diff, warnings=warnings)


def _policy_value(name: str, value: Any) -> Any:
    """One policy field's new value, checked (and normalised) by that field's own check; the
    Python type is checked first, since commands and the shell pass Python values."""
    if name in _POLICY_BOOLEANS:
        return _clean_bool(name, value)
    if name == "max_age":
        return _field_value(name, cors_models.validate_max_age, value)
    if name in _LIST_CLEANERS:
        if value is not None and not isinstance(value, str | list | tuple):
            raise InvalidInput(name, f"must be a list of names, not {type(value).__name__}")
        return _field_value(name, _LIST_CLEANERS[name], value)
    if name == "urls_regex":
        if not isinstance(value, str):
            raise InvalidInput(name, f"must be a regular expression, not {shown(value)}")
        return _field_value(name, cors_models.validate_urls_regex, value)
    if not isinstance(value, str):  # mode
        modes = ", ".join(MODE_NAMES)
        raise InvalidInput(name, f"must be one of {modes}, not {shown(value)}")
    return _field_value(name, cors_models.validate_mode, value)


def policy_as_dict(policy: CorsPolicy | None = None) -> dict[str, Any]:
    """The editable policy fields as plain JSON-able values."""
    return _policy_state(policy if policy is not None else CorsPolicy.load())


def origin_as_dict(origin: AllowedOrigin) -> dict[str, Any]:
    """A rule as plain JSON-able values (what `list --format json` prints)."""
    data: dict[str, Any] = _jsonable(_origin_state(origin))
    data["expired"] = origin.is_expired
    data["updated_at"] = origin.updated_at.isoformat() if origin.updated_at else None
    return data


def pinned_entries() -> list[dict[str, Any]]:
    """CORS_GATE_ALLOWED_ORIGINS as the gate reads them; an invalid entry carries its error
    (the snapshot skips it and a system check names it)."""
    entries: list[dict[str, Any]] = []
    for entry in conf.pinned_origins():
        try:
            entries.append({"entry": entry, "pattern": parse_pattern(entry).text, "error": None})
        except OriginError as exc:
            entries.append({"entry": entry, "pattern": None, "error": str(exc)})
    return entries
