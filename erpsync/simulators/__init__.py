"""Local stand-ins for the ERPs ``erpsync`` talks to, so adapters are tested against real HTTP without the ERP.

``SapB1Simulator`` (``sap_b1``) serves an SAP Business One Service Layer from memory; ``manage.py erp_simulator``
runs it from the command line.
"""

from erpsync.simulators.sap_b1 import B1Error, Company, SapB1Simulator

__all__ = ["B1Error", "Company", "SapB1Simulator"]
