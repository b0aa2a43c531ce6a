"""A DİA web service (API v3, JSON) simulator: ``company`` holds one company's cards and documents and answers the
services, ``server`` the HTTP side (sessions, kontör, fault switches), ``demo`` the demo data."""

from erpsync.simulators.dia.server import DiaSimulator

__all__ = ["DiaSimulator"]
