"""An in-process SAP ECC / S/4HANA client answering BAPIs over an RFC-shaped ``call(name, **params)``, for tests,
benchmarks and demos without SAP's NW RFC SDK.

- ``system``: ``SapSystem`` (the client's data, what SAP's users do: deliver, invoice, lock) and ``SimConnection``
  (one RFC session with its uncommitted work; fault switches), with the sources of every shape;
- ``tables``: ``RFC_READ_TABLE`` and its 512-character row limit;
- ``errors``: pyrfc-shaped exceptions and the BAPIRET2/BAPIRETURN rows;
- ``demo``: a small company with awkward data.
"""

from erpsync.simulators.sap_rfc.system import SapSystem, SimConnection, alpha, register, registered, unalpha, unregister

__all__ = ["SapSystem", "SimConnection", "alpha", "register", "registered", "unalpha", "unregister"]
