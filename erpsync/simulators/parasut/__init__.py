"""A local Paraşüt API v4 (JSON:API, OAuth2) for tests, benchmarks and demos, held to Paraşüt's official API
description.

- ``server``: ``ParasutSimulator`` (OAuth token endpoint, the routes, the rate limit, webhook deliveries, faults);
- ``spec``: the description (``swagger_subset.json``, with its source) and the checker every request and answer
  passes;
- ``company``: the in-memory company and its JSON:API rendering;
- ``demo``: a demo company with the awkward shapes real ones have.
"""

from erpsync.simulators.parasut.company import Company, ParasutError
from erpsync.simulators.parasut.server import ParasutSimulator

__all__ = ["Company", "ParasutError", "ParasutSimulator"]
