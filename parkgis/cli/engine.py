"""The figures of a command's park, computed by the engine its options chose.

``--engine local`` (the default) calls parkgis on the park in this process;
``--engine dask`` cuts the parcels into spatial partitions and computes the
same figures on a dask cluster (:mod:`parkgis.engine.dask`): a local cluster
of 2 worker processes, or the scheduler at ``--scheduler ADDRESS``. Both give
the same numbers; a command does not need to know which ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import pandas as pd

from parkgis.cli.common import Context
from parkgis.model.park import Park

__all__ = ["DaskFigures", "LocalFigures", "park_engine"]

_LOCAL_WORKERS = 2
_PER_WORKER = 2  # partitions per worker thread by default


class LocalFigures:
    """The figures of ``park``, computed in this process."""

    distributed = False

    def __init__(self, park: Park, *, area_mu: Any = None) -> None:
        self.park = park
        self.area_mu = area_mu

    def on(self, park: Park, *, area_mu: Any = None) -> LocalFigures:
        """The same engine's figures of another park (the park as the figures read it).

        ``area_mu``: its parcels' areas as the reading measured them, row by row
        (not measured again here).
        """
        return LocalFigures(park, area_mu=area_mu)

    def area_table(self, *, planar: bool = False) -> pd.DataFrame:
        from parkgis.land.tables import area_table

        return area_table(self.park.parcels, planar=planar, area_mu=self.area_mu)

    def find_problems(self, **options: Any) -> list[Any]:
        from parkgis.check.problems import find_problems

        return find_problems(self.park, **options)

    def buildable_table(
        self, constraints: Any = None, *, rules: Any = None, progress: Any = None
    ) -> pd.DataFrame:
        from parkgis.land.buildable import buildable_table

        return buildable_table(self.park, constraints, rules=rules, progress=progress)

    def buildable_figures(
        self, constraints: Any = None, *, rules: Any = None, progress: Any = None
    ) -> dict[str, Any]:
        from parkgis.land.buildable import buildable_figures

        return buildable_figures(self.park, constraints, rules=rules, progress=progress)


class DaskFigures(LocalFigures):
    """The figures of ``park``, computed partition by partition on the active dask client."""

    distributed = True

    def __init__(self, park: Park, parts: Any, *, npartitions: int) -> None:
        super().__init__(park)
        self.parts = parts
        self.npartitions = npartitions

    def on(self, park: Park, *, area_mu: Any = None) -> DaskFigures:
        from parkgis.engine.dask import partition_park

        count = self.npartitions
        return DaskFigures(park, partition_park(park, npartitions=count), npartitions=count)

    def area_table(self, *, planar: bool = False) -> pd.DataFrame:
        from parkgis.engine.dask import area_table

        return area_table(self.parts, planar=planar)

    def find_problems(self, **options: Any) -> list[Any]:
        from parkgis.engine.dask import find_problems

        return find_problems(self.parts, **options)

    def buildable_table(
        self, constraints: Any = None, *, rules: Any = None, progress: Any = None
    ) -> pd.DataFrame:
        from parkgis.engine.dask import buildable_table

        return buildable_table(self.parts, constraints, rules=rules, progress=progress)

    def buildable_figures(
        self, constraints: Any = None, *, rules: Any = None, progress: Any = None
    ) -> dict[str, Any]:
        from parkgis.land.buildable import buildable_figures

        table = self.buildable_table(constraints, rules=rules, progress=progress)
        return buildable_figures(self.park, constraints, rules=rules, table=table)


@contextmanager
def park_engine(park: Park) -> Iterator[LocalFigures]:
    """The figures of ``park`` by the command's ``--engine`` (see ``engine_options``).

    With ``--engine dask`` a client is opened (to ``--scheduler``, or to a
    local cluster) for as long as the block lasts.
    """
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Context) if ctx else None
    if obj is None or obj.engine != "dask":
        yield LocalFigures(park)
        return
    from parkgis.engine.dask import dask_client, partition_park

    with dask_client(obj.scheduler, workers=_LOCAL_WORKERS) as client:
        threads = sum(client.nthreads().values()) or _LOCAL_WORKERS
        count = obj.partitions or _PER_WORKER * threads
        yield DaskFigures(park, partition_park(park, npartitions=count), npartitions=count)
