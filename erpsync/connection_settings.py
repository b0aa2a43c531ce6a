"""Declared connection settings: what an ``ErpConnection.settings`` key means, which values it takes and what it
falls back to, written once and used to parse, to validate in the admin and the system checks, and to document.

A declaration is a ``Settings`` subclass whose class attributes are settings::

    class SapB1Settings(Settings):
        owner = "SAP B1 adapter"
        company_db = Text("The company database Login opens.", default=REQUIRED)
        page_size = Integer("Records per page.", default=100, minimum=1)

``SapB1Settings.parse(raw)`` is the typed object (``options.page_size`` is an ``int``) or raises
``SettingsError`` naming every problem; ``SapB1Settings.read(raw)`` gives the object and the problems without
raising (a setting with a problem raises only when it is read). ``settings_problems(raw, classes)`` checks a
whole settings dict against the declarations that share it, unknown keys included ("did you mean …?").
A deprecated key named in ``aliases`` is still read, and reported as a warning.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()  # a setting without a default: the connection must give it


@dataclass(frozen=True)
class Problem:
    """What is wrong with one key; a warning does not stop the settings from being used."""

    key: str
    message: str
    owner: str = ""
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.owner}: {self.message}" if self.owner else self.message


class SettingsError(ImproperlyConfigured):
    """Settings that cannot be used; ``problems`` says what is wrong with each key."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        owners = {p.owner for p in self.problems}
        if len(owners) == 1 and (owner := owners.pop()):
            text = f"{owner}: " + " ".join(p.message for p in self.problems)
        else:
            text = " ".join(str(p) for p in self.problems)
        super().__init__(text)


class Invalid(ValueError):
    """Raised by a setting's ``convert``: the message follows the key's name (``'page_size' must be …``), unless
    it is ``complete`` (it names the key, or a part of it, itself)."""

    def __init__(self, message: str, *, complete: bool = False):
        super().__init__(message)
        self.complete = complete


class SiteDefault:
    """A default from the project's settings (``ERPSYNC_…``), unless the adapter class has its own attribute."""

    def __init__(self, name: str, *, adapter_attribute: str | None = None):
        self.name = name
        self.adapter_attribute = adapter_attribute

    def resolve(self, context: Any) -> Any:
        own = getattr(context, self.adapter_attribute, None) if self.adapter_attribute else None
        return own if own is not None else getattr(django_settings, self.name)

    def __str__(self) -> str:
        first = "the adapter's own, else " if self.adapter_attribute else ""
        return f"{first}`{self.name}`"


# --- Setting types -------------------------------------------------------------------------------------------


class Setting:
    """One key: its type, its default (``REQUIRED``, None for "not set", a value or a ``SiteDefault``), help."""

    type_name: ClassVar[str] = "any"
    name: str = ""

    def __init__(self, help: str, *, default: Any = None):
        self.help = help
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name]
        if isinstance(value, Problem):  # read anyway: whoever needs this setting learns why it is unusable
            raise SettingsError([value])
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError("parsed settings are read-only")

    def convert(self, value: Any) -> Any:
        return value

    def default_value(self, context: Any) -> Any:
        default = self.default.resolve(context) if isinstance(self.default, SiteDefault) else self.default
        return None if default is None else self.convert(default)

    def describe_type(self) -> str:
        return self.type_name

    def describe_default(self) -> str:
        if self.default is REQUIRED:
            return "required"
        if self.default is None or self.default == "":
            return "—"
        if isinstance(self.default, SiteDefault):
            return str(self.default)
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        if isinstance(self.default, (list, tuple)):
            return ", ".join(f"`{v}`" for v in self.default) or "none"
        if isinstance(self.default, Mapping):
            return "none" if not self.default else ", ".join(f"`{k}`: {v}" for k, v in self.default.items())
        return f"`{self.default}`"


class Flag(Setting):
    type_name = "true/false"

    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"must be true or false, got {value!r}.")
        return value


def _number(value: Any) -> Decimal:
    """A JSON number or a text holding one; refuses true/false, which Python would count as 1 and 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise Invalid("")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid("") from None
    if not number.is_finite():
        raise Invalid("")
    return number


class Number(Setting):
    """A number within ``minimum`` … ``maximum`` (``positive``: above zero); a ``Decimal``, a ``float`` with
    ``as_float`` or an ``int`` with ``whole``."""

    def __init__(self, help: str, *, default: Any = None, minimum=None, maximum=None, positive=False, whole=False,
                 as_float=False):  # fmt: skip
        super().__init__(help, default=default)
        self.minimum = None if minimum is None else Decimal(str(minimum))
        self.maximum = None if maximum is None else Decimal(str(maximum))
        self.positive, self.whole, self.as_float = positive, whole, as_float

    def expected(self) -> str:
        kind = "whole number" if self.whole else "number"
        if self.positive:
            return f"a positive {kind}"
        if self.minimum is not None and self.maximum is not None:
            return f"a {kind} from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"a {kind} of {self.minimum} or more"
        return f"a {kind}"

    def describe_type(self) -> str:
        return self.expected().removeprefix("a ")

    def convert(self, value: Any) -> Any:
        try:
            number = _number(value)
        except Invalid:
            raise Invalid(f"must be {self.expected()}, got {value!r}.") from None
        out_of_range = (
            (self.positive and number <= 0)
            or (self.minimum is not None and number < self.minimum)
            or (self.maximum is not None and number > self.maximum)
            or (self.whole and number != number.to_integral_value())
        )
        if out_of_range:
            raise Invalid(f"must be {self.expected()}, got {value!r}.")
        if self.whole:
            return int(number)
        return float(number) if self.as_float else number


def Integer(help: str, **options: Any) -> Number:
    return Number(help, whole=True, **options)


class Text(Setting):
    """Text; ``blank`` allows "". ``check`` is a predicate with the phrase saying what it wants."""

    type_name = "text"

    def __init__(
        self, help: str, *, default: Any = None, blank=True, check: tuple[Callable[[str], bool], str] | None = None
    ):
        super().__init__(help, default=default)
        self.blank, self.check = blank, check

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"must be text, got {value!r}.")
        if not self.blank and not value.strip():
            raise Invalid("must not be empty.")
        if self.check and value and not self.check[0](value):
            raise Invalid(f"must be {self.check[1]}, got {value!r}.")
        return value


class Choice(Setting):
    type_name = "one of"

    def __init__(self, help: str, *, choices: Iterable[str], default: Any = None):
        super().__init__(help, default=default)
        self.choices = tuple(choices)

    def describe_type(self) -> str:
        return "one of " + ", ".join(f"`{c}`" for c in self.choices)

    def convert(self, value: Any) -> str:
        if value not in self.choices:
            raise Invalid(f"must be one of {', '.join(self.choices)}, got {value!r}.")
        return value


class ChoiceList(Setting):
    """A list of distinct choices, kept in the order given (a tuple)."""

    def __init__(self, help: str, *, choices: Iterable[str], default: Any = None):
        super().__init__(help, default=default)
        self.choices = tuple(choices)

    def describe_type(self) -> str:
        return "list of " + ", ".join(f"`{c}`" for c in self.choices)

    def convert(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or any(v not in self.choices for v in value):
            raise Invalid(f"must be a list of {', '.join(self.choices)}, got {value!r}.")
        return tuple(dict.fromkeys(value))


class TextList(Setting):
    """A list of non-empty texts (codes), as a frozenset."""

    type_name = "list of text"

    def convert(self, value: Any) -> frozenset[str]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise Invalid(f"must be a list of codes, got {value!r}.")
        if not all(isinstance(code, str) and code for code in value):
            raise Invalid(f"must be a list of codes (non-empty texts), got {value!r}.")
        return frozenset(value)


class TextMap(Setting):
    """An object of text → non-empty text."""

    type_name = "object of text → text"

    def convert(self, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) and v for v in value.values()):
            raise Invalid(f"must map texts to non-empty texts, got {value!r}.")
        return dict(value)


class NumberMap(Setting):
    """An object of a choice → a whole number of ``minimum`` or more."""

    def __init__(self, help: str, *, keys: Iterable[str], default: Any = None, minimum: int = 0):
        super().__init__(help, default=default)
        self.keys, self.minimum = tuple(keys), minimum

    def describe_type(self) -> str:
        return f"object of name → whole number ≥ {self.minimum}"

    def convert(self, value: Any) -> dict[str, int]:
        if not isinstance(value, Mapping):
            raise Invalid(f"must map names to whole numbers, got {value!r}.")
        unknown = [k for k in value if k not in self.keys]
        if unknown:
            raise Invalid(f"has unknown names {', '.join(map(repr, unknown))} (known: {', '.join(self.keys)}).")
        number = Integer("", minimum=self.minimum)
        try:
            return {key: number.convert(v) for key, v in value.items()}
        except Invalid as exc:
            raise Invalid(f"values {exc}") from None


class Url(Setting):
    """An http(s) URL, given a trailing "/"; ``path_suffix`` is what its path must end with."""

    type_name = "http(s) URL"

    def __init__(self, help: str, *, default: Any = None, path_suffix: str = "/"):
        super().__init__(help, default=default)
        self.path_suffix = path_suffix

    def convert(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"must be an http(s) URL, got {value!r}.")
        url = value.strip() if value.strip().endswith("/") else value.strip() + "/"
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise Invalid(f"must be an http(s) URL, got {url!r}.")
        if not parts.path.endswith(self.path_suffix):
            raise Invalid(f"must end with {self.path_suffix}, got {url!r}.")
        return url


class TimeZone(Setting):
    type_name = "time zone"

    def convert(self, value: Any) -> ZoneInfo:
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise Invalid(f"{value!r} is not a known time zone.") from None

    def describe_default(self) -> str:
        return f"`{self.default}`" if isinstance(self.default, str) else super().describe_default()


# --- Declarations ----------------------------------------------------------------------------------------------


class Settings:
    """A declaration of settings; an instance holds the parsed values as attributes."""

    owner: ClassVar[str] = ""  # who reads them, at the start of every message ("SAP B1 adapter")
    title: ClassVar[str] = ""  # the heading of its table in the docs
    aliases: ClassVar[Mapping[str, str]] = {}  # deprecated key → the key it now is
    declared: ClassVar[dict[str, Setting]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.declared = {}
        for klass in reversed(cls.__mro__):
            cls.declared.update({k: v for k, v in vars(klass).items() if isinstance(v, Setting)})

    @classmethod
    def read(cls, raw: Mapping[str, Any] | None, *, context: Any = None) -> tuple[Self, list[Problem]]:
        """The parsed settings and every problem with them (unknown keys are the caller's: see
        ``settings_problems``). A setting with a problem raises ``SettingsError`` when it is read."""
        raw = raw or {}
        obj = cls.__new__(cls)
        problems: list[Problem] = []
        given = dict(raw)
        for old, new in cls.aliases.items():
            if old not in raw:
                continue
            if new in raw:
                problems.append(cls.problem(old, f"{old!r} is deprecated and ignored: {new!r} is set.", warning=True))
            else:
                problems.append(cls.problem(old, f"{old!r} is deprecated; call it {new!r}.", warning=True))
                given[new] = raw[old]
        for name, setting in cls.declared.items():
            try:
                if name in given:
                    value = setting.convert(given[name])
                elif setting.default is REQUIRED:
                    raise Invalid(f"is required: {setting.help}")
                else:
                    value = setting.default_value(context)
            except Invalid as exc:
                value = cls.problem(name, str(exc) if exc.complete else f"{name!r} {exc}")
                problems.append(value)
            obj.__dict__[name] = value
        if not any(not p.warning for p in problems):
            problems.extend(obj.clean())
        return obj, problems

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, *, context: Any = None) -> Self:
        """The parsed settings; raises ``SettingsError`` naming every problem (warnings are not problems)."""
        obj, problems = cls.read(raw, context=context)
        errors = [p for p in problems if not p.warning]
        if errors:
            raise SettingsError(errors)
        return obj

    @classmethod
    def problem(cls, key: str, message: str, *, warning: bool = False) -> Problem:
        return Problem(key=key, message=message, owner=cls.owner, warning=warning)

    @classmethod
    def keys(cls) -> set[str]:
        return set(cls.declared) | set(cls.aliases)

    def clean(self) -> list[Problem]:
        """Problems between settings that are each valid on their own."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__!r}>"


def settings_problems(
    raw: Mapping[str, Any] | None, classes: Sequence[type[Settings]], *, context: Any = None
) -> list[Problem]:
    """Every problem of a settings dict that ``classes`` share: each declaration's own, then the keys none of
    them knows (with the nearest known key as a suggestion)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        return [Problem("", f"settings must be an object of keys and values, got {raw!r}.")]
    problems = [p for cls in classes for p in cls.read(raw, context=context)[1]]
    known = sorted(set().union(*(cls.keys() for cls in classes)))
    for key in raw:
        if key in known:
            continue
        near = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else "."
        problems.append(Problem(str(key), f"unknown setting {key!r}{hint}"))
    return problems


def markdown_table(cls: type[Settings]) -> str:
    """The declaration as a Markdown table: name, type, default and help of every setting, in declared order."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = ["| setting | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, setting in cls.declared.items():
        kind, default = cell(setting.describe_type()), cell(setting.describe_default())
        rows.append(f"| `{name}` | {kind} | {default} | {cell(setting.help)} |")
    for old, new in cls.aliases.items():
        rows.append(f"| `{old}` | | | Deprecated: read as `{new}`. |")
    return "\n".join(rows) + "\n"
