"""Forms of the ERP sync's staff pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from erpsync.adapters import adapter_classes
from erpsync.common_settings import connection_settings_problems
from erpsync.models import ErpConnection


class ErpConnectionForm(forms.ModelForm):
    """An ERP connection, its settings checked against what its adapter and every connection declare: each
    problem is shown on the settings field and nothing is saved until there are none. Deprecated keys are kept
    in ``warnings`` (they do not stop the save)."""

    class Meta:
        model = ErpConnection
        fields = ("code", "name", "adapter", "settings", "credentials_ref", "is_active", "is_default")

    def clean(self):
        cleaned = super().clean()
        self.warnings: list[str] = []
        key = cleaned.get("adapter")
        if not key or "settings" in self.errors:
            return cleaned
        try:
            cls = adapter_classes().get(key)
        except (ImproperlyConfigured, ImportError) as exc:
            self.add_error("adapter", _("The adapter registry is broken: %(error)s") % {"error": exc})
            return cleaned
        if cls is None:
            known = ", ".join(adapter_classes())
            self.add_error("adapter", _("No adapter %(key)s; known: %(known)s.") % {"key": key, "known": known})
            return cleaned
        problems = connection_settings_problems(cls, cleaned.get("settings"))
        errors = [str(p) for p in problems if not p.warning]
        if errors:
            self.add_error("settings", errors)
        self.warnings = [str(p) for p in problems if p.warning]
        return cleaned
