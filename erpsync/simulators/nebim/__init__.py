"""A Nebim V3 Integrator simulator: ``Connect``/``GetUserInfo``/``Post``/``RunQuery``/``RunProc``/``Disconnect``
over an in-memory company (see ``erpsync.simulators.nebim.server``)."""

from erpsync.simulators.nebim.server import NebimCompany, NebimSimulator, demo_company

__all__ = ["NebimCompany", "NebimSimulator", "demo_company"]
