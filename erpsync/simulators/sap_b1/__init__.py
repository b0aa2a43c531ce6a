"""A local SAP Business One Service Layer (``/b1s/v1/`` and ``/b1s/v2/``) for tests and demos, serving one in-memory
company.

- ``server``: ``SapB1Simulator`` (start, stop, the Service Layer's routes) and its HTTP handler;
- ``protocol``: requests, responses, keys and page sizes; ``odata``: ``$filter``/``$select``/``$orderby``;
- ``metadata``: the real ``$metadata`` subset (``metadata.xml``) every body and query is checked against, and the
  full-width rendering of rows; ``batch``: ``$batch`` bodies; ``real``: recorded real items
  (``sap_b1_real_items.json``) loaded into a company;
- ``sessions``: Login sessions and their timeout; ``faults``: fault switches and request statistics;
- ``scenario``: what SAP's users do between the portal's calls (deliver, invoice, credit…);
- ``company``: the in-memory company, with ``master_data``, ``documents`` and ``payments``; ``schema``: the
  entities' shapes; ``errors``: the Service Layer's error answers; ``clock``: the company's clock;
- ``demo``: demo data.
"""

from erpsync.simulators.sap_b1.company import Company
from erpsync.simulators.sap_b1.errors import B1Error
from erpsync.simulators.sap_b1.server import SapB1Simulator

__all__ = ["B1Error", "Company", "SapB1Simulator"]
