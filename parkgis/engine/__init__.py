"""Engines that compute a park's figures beyond one process.

- :mod:`parkgis.engine.dask`: dask-geopandas over spatially partitioned
  GeoParquet, on a local cluster or a remote scheduler (``pip install
  parkgis[dask]``).
"""

__all__: list[str] = []
