"""Settings for a worker process the reliability tests kill: the test settings plus a file adapter whose ERP
takes the order and then hangs before answering (the request applied, the answer never sent)."""

import time

from b2bportal.settings.test import *  # noqa: F403
from b2bportal.settings.test import ERPSYNC_ADAPTERS
from erpsync.adapters.file import FileAdapter

ERPSYNC_ADAPTERS = {**ERPSYNC_ADAPTERS, "hanging_file": "erpsync.tests.killable.HangingFileAdapter"}


class HangingFileAdapter(FileAdapter):
    key = "hanging_file"

    def order_push(self, order):
        ack = super().order_push(order)
        time.sleep(120)  # killed long before this returns
        return ack
