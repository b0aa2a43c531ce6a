"""A Nebim V3 Integrator simulator: ``Connect``/``GetUserInfo``/``Post``/``RunQuery``/``RunProc``/``Disconnect``
over an in-memory company (see ``erpsync.simulators.nebim.server``)."""

from erpsync.simulators.nebim.server import NebimCompany, NebimSimulator

__all__ = ["NebimCompany", "NebimSimulator"]
