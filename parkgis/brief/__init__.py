"""Land-acquisition briefings: Word, printable HTML and Markdown, with map and charts.

:func:`brief_content` assembles what a briefing says (pure);
:func:`write_brief` draws its pictures and writes the file. Importing this
package loads neither python-docx nor matplotlib: the writers import them
when they run.

Examples
--------
>>> import datetime as dt
>>> from parkgis.sample import build_yuanba
>>> b = brief_content(build_yuanba(), zone="xx山上台阶地", today=dt.date(2013, 6, 30))
>>> b.scope.parcel_ids
('YB-R-01', 'YB-R-02', 'YB-R-03')
"""

from __future__ import annotations

from parkgis.brief.content import BriefError, Briefing, brief_content
from parkgis.brief.write import default_brief_path, write_brief

__all__ = ["BriefError", "Briefing", "brief_content", "default_brief_path", "write_brief"]
