"""Console logging: operators see the portal's own messages at ``LOG_LEVEL``, and libraries stay quiet unless
something is wrong (a PDF's font subsetting printed over a hundred INFO lines)."""

import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from b2bportal.pdf import pdf_render
from b2bportal.settings import base

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def development_logging():
    """The development/production LOGGING (``b2bportal.settings.base``) for the test, then the test settings' again."""
    logging.config.dictConfig(base.LOGGING)
    yield
    logging.config.dictConfig(settings.LOGGING)


def test_rendering_a_pdf_logs_nothing_below_warning(development_logging, caplog):
    html = "<html><body><h1>Sipariş onayı</h1><p>Çelik kablo, ölçü 3×2,5 mm² — İstanbul</p></body></html>"
    with caplog.at_level(logging.DEBUG):
        pdf = pdf_render(html)
    assert pdf.startswith(b"%PDF")
    chatty = [r for r in caplog.records if r.name.split(".")[0] in {"fontTools", "weasyprint"}]
    assert [r for r in chatty if r.levelno < logging.WARNING] == []


def run_with_log_level(level: str | None) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "LOG_LEVEL"}
    environ["DJANGO_SETTINGS_MODULE"] = "b2bportal.settings.base"
    if level is not None:
        environ["LOG_LEVEL"] = level
    code = "import logging; log = logging.getLogger('orders'); log.info('info-line'); log.warning('warning-line')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_log_level_sets_what_the_console_shows():
    default = run_with_log_level(None)
    assert "INFO orders info-line" in default and "WARNING orders warning-line" in default
    quiet = run_with_log_level("warning")
    assert "info-line" not in quiet and "WARNING orders warning-line" in quiet
    loud = run_with_log_level("DEBUG")
    assert "INFO orders info-line" in loud
