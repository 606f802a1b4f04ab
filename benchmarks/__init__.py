"""parkgis benchmarks: the same tasks done by parkgis and by plain geopandas/folium.

Run them with ``python -m benchmarks`` (see ``benchmarks/README.md``). Not part
of the package nor of the test suite.
"""

__all__: list[str] = []
