"""Assertions shared by the model tests."""

import pytest
from django.db import IntegrityError, transaction


def refused(make):
    """The database refuses what ``make`` writes (a constraint), and the test's transaction stays usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()
