"""Profile adapters: ERPs whose reads are site-defined (Nebim V3's Integrator, ETA:SQL), driven by a profile of named
reads and writes the company's integrator fills in (see docs/profile-adapter.md)."""

from erpsync.adapters.profile.adapter import EtaAdapter, NebimAdapter, ProfileAdapter, ReadTest

__all__ = ["EtaAdapter", "NebimAdapter", "ProfileAdapter", "ReadTest"]
