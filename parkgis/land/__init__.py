"""The land figures: gross and net buildable land, reserve and shortfall, gaps, targets.

Pure core: each module takes a :class:`~parkgis.model.park.Park` (as read
once by :mod:`parkgis.check.reading`) and plain values, and returns frames
and figures. No files, printing or clock.
"""

__all__: list[str] = []
