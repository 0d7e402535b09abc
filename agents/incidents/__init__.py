"""Incidents and on-call: incidents and their timelines, rotations, and the ports the
incident agent works through.
"""

__all__: list[str] = []
