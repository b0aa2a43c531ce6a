"""A local Netsis (NetOpenX REST, ``/api/v2``) for tests, benchmarks and demos.

- ``company``: one company in memory with Netsis's field names, slip numbering, stock effects and conversions;
- ``select``: the SelectFilter (``q`` WHERE fragments parsed, never run as code, ``sort``, ``fields``, paging);
- ``server``: ``NetsisSimulator`` (token, the ``TResult`` envelope, routes, fault switches);
- ``demo``: a demo company with the awkward shapes real ones have.
"""

from erpsync.simulators.netsis.company import Company, NetsisBusinessError
from erpsync.simulators.netsis.server import NetsisSimulator

__all__ = ["Company", "NetsisBusinessError", "NetsisSimulator"]
