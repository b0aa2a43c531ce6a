import pytest

from erpsync.models import ErpConnection
from erpsync.tests import memory


@pytest.fixture
def memory_erp(settings):
    """A connection to an in-memory ERP; the test publishes feeds on the returned ``MemoryErp``."""
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory": "erpsync.tests.memory.MemoryAdapter"}
    memory.ERPS.clear()
    erp = memory.ERPS.setdefault("default", memory.MemoryErp())
    erp.connection = ErpConnection.objects.create(code="mem", name="Memory ERP", adapter="memory", is_default=True)
    yield erp
    memory.ERPS.clear()


@pytest.fixture(scope="session")
def tryton_server():
    """A real Tryton server for the session (databases built once and cached under var/tryton/)."""
    from erpsync.tests.tryton_server import TrytonServer

    server = TrytonServer().start()
    yield server
    server.stop()
