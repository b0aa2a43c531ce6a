"""A local Logo Tiger/Go (Logo Objects REST, ``/api/v1``) for tests, benchmarks and demos.

- ``firm``: one firm with two periods in a SQLite database whose tables are named and shaped like Logo's
  (``LG_001_ITEMS``, ``LG_001_02_ORFICHE``…), with slip numbering, stock totals and the customer ledger;
- ``rest``: the REST resources rendered from those tables, and the read-only ``queries?tsql=`` runner;
- ``server``: ``LogoSimulator`` (token endpoint, routes, ASP.NET error bodies, fault switches);
- ``demo``: a demo firm with the awkward shapes real ones have.
"""

from erpsync.simulators.logo.firm import Firm, LogoBusinessError
from erpsync.simulators.logo.server import LogoSimulator

__all__ = ["Firm", "LogoBusinessError", "LogoSimulator"]
