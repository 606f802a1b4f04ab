"""``parkgis serve``: the park on the office intranet.

:func:`create_app` gives the ASGI app (Starlette) that serves a park — the
map, search, parcel pages, figures, briefings, and status edits by signed-in
users — and :mod:`parkgis.serve.users` keeps the users and their roles in the
park. Needs the ``serve`` extra: ``pip install 'parkgis[serve]'``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(park_path: Any, **options: Any) -> Any:
    """The ASGI app serving a park: see :func:`parkgis.serve.app.create_app`."""
    from parkgis.serve.app import create_app as _create_app

    return _create_app(park_path, **options)
