"""The one reading of a park: every problem of its data, and what the figures may use.

:mod:`parkgis.check.problems` finds every problem at once; every command reads
a park through the same checks, so no two commands disagree about a parcel.
"""

__all__: list[str] = []
