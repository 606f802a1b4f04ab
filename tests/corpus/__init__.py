"""The corpus of messy and hostile inputs: files as survey offices and colleagues hand them over.

Each module ``cases_*.py`` lists :class:`~corpus.harness.Case` objects; the
tests in ``test_corpus.py`` run every command of parkgis over every case and
check that none gives a traceback or a silently wrong figure.
"""
