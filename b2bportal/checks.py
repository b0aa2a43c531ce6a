"""System checks that refuse a configuration the portal cannot run safely with."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from b2bportal.encryption import MIN_KEY_LENGTH, keys_derived_from_secret_key
from b2bportal.hooks import unconnected_required_hooks

REQUIRED_Q_KEYS = ("name", "timeout", "retry", "max_attempts")


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@register()
def check_q_cluster(app_configs=None, **kwargs) -> list[Error]:
    """django-q2 must have a finite timeout, a retry above it, and a finite number of attempts.

    With ``retry <= timeout`` the broker hands a still-running task to a second worker, so one slow
    ERP export would run twice at once; ``max_attempts = 0`` retries a failing task forever.
    """
    conf = getattr(settings, "Q_CLUSTER", None)
    if not isinstance(conf, dict):
        return [Error("Q_CLUSTER is not configured.", hint="Define Q_CLUSTER in settings.", id="b2bportal.E001")]
    errors: list[Error] = []
    for key in REQUIRED_Q_KEYS:
        if key not in conf:
            errors.append(Error(f"Q_CLUSTER has no {key!r}.", id="b2bportal.E002"))
    if errors:
        return errors
    timeout, retry, attempts = conf["timeout"], conf["retry"], conf["max_attempts"]
    if not _positive_int(timeout):
        errors.append(Error("Q_CLUSTER['timeout'] must be a positive integer (seconds).", id="b2bportal.E003"))
    if not _positive_int(retry):
        errors.append(Error("Q_CLUSTER['retry'] must be a positive integer (seconds).", id="b2bportal.E004"))
    if not _positive_int(attempts):
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] must be a positive integer; 0 means retry for ever.",
                id="b2bportal.E005",
            )
        )
    if _positive_int(timeout) and _positive_int(retry) and retry <= timeout:
        errors.append(
            Error(
                f"Q_CLUSTER['retry'] ({retry}s) must be greater than Q_CLUSTER['timeout'] ({timeout}s).",
                hint="Otherwise a task still running is delivered to a second worker and runs twice.",
                id="b2bportal.E006",
            )
        )
    if "orm" not in conf and "redis" not in conf and not conf.get("sync"):
        errors.append(Error("Q_CLUSTER names no broker ('orm' or 'redis').", id="b2bportal.E007"))
    return errors


UNPRICED_PRODUCT_MODES = ("hide", "on_request")


@register()
def check_catalog_settings(app_configs=None, **kwargs) -> list[Error]:
    """Catalogue settings with a typo would silently show or hide the wrong products; refuse them."""
    errors: list[Error] = []
    mode = getattr(settings, "B2B_UNPRICED_PRODUCTS", "hide")
    if mode not in UNPRICED_PRODUCT_MODES:
        errors.append(
            Error(
                f"UNPRICED_PRODUCTS is {mode!r}.",
                hint="Use 'hide' or 'on_request'.",
                id="b2bportal.E008",
            )
        )
    if getattr(settings, "B2B_EXCHANGE_RATE_MAX_AGE_DAYS", 7) < 0:
        errors.append(Error("EXCHANGE_RATE_MAX_AGE_DAYS must not be negative.", id="b2bportal.E009"))
    return errors


@register()
def check_hooks(app_configs=None, **kwargs) -> list[Error]:
    """A required hook with no handler means a change that never reaches the ERP (an approved order, a payment)."""
    return [
        Error(
            f"Nothing handles the hook {hook.name!r}.",
            hint="The app that handles it (erpsync, orders) must be in INSTALLED_APPS.",
            id="b2bportal.E012",
        )
        for hook in unconnected_required_hooks()
    ]


SILENT_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


@register()
def check_production_email(app_configs=None, **kwargs) -> list[Error]:
    """Production sends e-mail: a console or in-memory backend would write password-reset links to the log (or
    nowhere) and send no notice at all."""
    if not settings.B2B_PRODUCTION or settings.EMAIL_BACKEND not in SILENT_EMAIL_BACKENDS:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which sends no e-mail.",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and its account.",
            id="b2bportal.E013",
        )
    ]


@register()
def check_field_encryption_keys(app_configs=None, **kwargs) -> list[Error | Warning]:
    """Encryption keys shorter than ``MIN_KEY_LENGTH`` could be guessed: refused. In production, keys derived from
    ``SECRET_KEY`` are a warning, not an error (the derivation is sound): whoever changes ``SECRET_KEY`` without
    knowing makes every stored webhook secret unreadable, and one leaked value opens sessions and secrets alike."""
    keys = getattr(settings, "B2B_FIELD_ENCRYPTION_KEYS", [])
    problems: list[Error | Warning] = [
        Error(
            f"FIELD_ENCRYPTION_KEYS entry {number} has {len(key)} characters.",
            hint=f"Each key needs at least {MIN_KEY_LENGTH} random characters (python -c "
            "'import secrets; print(secrets.token_urlsafe(32))').",
            id="b2bportal.E014",
        )
        for number, key in enumerate(keys, start=1)
        if len(key) < MIN_KEY_LENGTH
    ]
    if settings.B2B_PRODUCTION and keys_derived_from_secret_key():
        problems.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set: stored secrets are encrypted with a key derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to a new random key followed by the current SECRET_KEY (which then "
                "only decrypts), and run manage.py encryption_rotate; changing SECRET_KEY alone would make the "
                "stored secrets unreadable.",
                id="b2bportal.W001",
            )
        )
    return problems
