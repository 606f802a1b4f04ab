"""The users of a served park and their roles, kept in the park itself.

A park GeoPackage keeps them in a ``users`` table, changed with
:mod:`sqlite3` in one transaction (``BEGIN IMMEDIATE``, as the park's own
changes, :mod:`parkgis.io.gpkg`); the table is not registered in
``gpkg_contents``, so QGIS and GDAL do not list it as a layer. A PostGIS
store keeps a ``users`` table in the park's schema. A park folder of an
earlier version is read-only: it is refused, with the way out (``parkgis copy
FOLDER -o NEW.gpkg``).

Passwords are hashed with argon2id (memory-hard, :mod:`argon2`); the clear
text is never stored nor logged.

==========  ==================================================================
role        may
==========  ==================================================================
viewer      read the map, parcels, figures and briefings (no private fields)
editor      also record status and title changes
admin       also see the private fields (land owners' data)
==========  ==================================================================

A viewer or editor may be given the private fields too (``private=True``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parkgis.errors import InputError

__all__ = [
    "ROLES",
    "User",
    "add_user",
    "authenticate",
    "find_user",
    "hash_password",
    "list_users",
    "remove_user",
    "set_password",
    "verify_password",
]

ROLES = ("viewer", "editor", "admin")
"""The roles, from the least to the most allowed."""

_ROLE_ZH = {"viewer": "查看", "editor": "编辑", "admin": "管理员"}
_NAME = re.compile(r"^[^\s<>&\"'/\\]{1,64}$")
_MIN_PASSWORD = 8
_BUSY_MS = 60_000
_DDL = """CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    private INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL)"""


@dataclass(frozen=True)
class User:
    """A user of a served park.

    Attributes
    ----------
    name
        The sign-in name; recorded as ``by`` of the user's changes.
    role
        ``viewer``, ``editor`` or ``admin``.
    private
        Whether the user sees the private fields although not admin.
    """

    name: str
    role: str
    private: bool = False

    @property
    def can_edit(self) -> bool:
        """Whether the user may record changes (editor or admin)."""
        return self.role in ("editor", "admin")

    @property
    def sees_private(self) -> bool:
        """Whether the user sees the private fields (admin, or given them)."""
        return self.role == "admin" or self.private

    def role_label(self, lang: str = "zh") -> str:
        """The role in ``lang``.

        Examples
        --------
        >>> User("王工", "editor").role_label("zh")
        '编辑'
        """
        return _ROLE_ZH.get(self.role, self.role) if lang == "zh" else self.role


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (with its own salt and parameters)."""
    return _hasher(**_NEW_HASH_OPTIONS).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for any mismatch or bad hash."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(
    park: str | os.PathLike[str], name: str, password: str, *, role: str, private: bool = False
) -> User:
    """Add a user to a park (one transaction).

    Raises
    ------
    InputError
        For a park that cannot keep users, a name or role that is not
        allowed, a password too short, or a user that exists already.
    """
    _check_name(name)
    _check_role(role)
    _check_password(password)
    stamp = _now()
    digest = hash_password(password)
    with _users(park) as db:
        if db.one("SELECT name FROM users WHERE name = ?", (name,)) is not None:
            raise InputError(
                f"user {name!r} exists already; change the password with 'parkgis users passwd'",
                zh=f"用户 {name!r} 已存在；修改密码请用 'parkgis users passwd'",
            )
        db.run(
            "INSERT INTO users (name, role, private, password_hash, created_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, int(private), digest, stamp, stamp),
        )
    return User(name, role, private)


def remove_user(park: str | os.PathLike[str], name: str) -> None:
    """Remove a user from a park (their recorded changes stay, signed with their name).

    Raises
    ------
    InputError
        When there is no such user.
    """
    with _users(park) as db:
        if db.one("SELECT name FROM users WHERE name = ?", (name,)) is None:
            raise _no_user(name)
        db.run("DELETE FROM users WHERE name = ?", (name,))


def set_password(
    park: str | os.PathLike[str], name: str, password: str, *, role: str | None = None
) -> None:
    """Set a user's password (and role, when given), in one transaction.

    Raises
    ------
    InputError
        When there is no such user, or the password is too short.
    """
    _check_password(password)
    if role is not None:
        _check_role(role)
    digest = hash_password(password)
    with _users(park) as db:
        found = db.one("SELECT role FROM users WHERE name = ?", (name,))
        if found is None:
            raise _no_user(name)
        db.run(
            "UPDATE users SET password_hash = ?, role = ?, changed_at = ? WHERE name = ?",
            (digest, role or found[0], _now(), name),
        )


def list_users(park: str | os.PathLike[str]) -> list[User]:
    """The park's users, by name (no password hashes)."""
    with _users(park, write=False) as db:
        rows = db.all("SELECT name, role, private FROM users ORDER BY name")
    return [User(str(n), str(r), bool(p)) for n, r, p in rows]


def find_user(park: str | os.PathLike[str], name: str) -> User | None:
    """The user named ``name``, or None."""
    with _users(park, write=False) as db:
        row = db.one("SELECT name, role, private FROM users WHERE name = ?", (name,))
    return None if row is None else User(str(row[0]), str(row[1]), bool(row[2]))


def authenticate(park: str | os.PathLike[str], name: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (the same work is done either way)."""
    with _users(park, write=False) as db:
        row = db.one("SELECT name, role, private, password_hash FROM users WHERE name = ?", (name,))
    if row is None:
        verify_password(_DUMMY_HASH(), password)  # as slow as a real check: no user oracle
        return None
    if not verify_password(str(row[3]), password):
        return None
    return User(str(row[0]), str(row[1]), bool(row[2]))


# --------------------------------------------------------------------------- helpers


def _hasher(**options: int) -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise InputError(
            "users need argon2-cffi, which is not installed: pip install 'parkgis[serve]'",
            zh="用户管理需要 argon2-cffi，尚未安装：pip install 'parkgis[serve]'",
        ) from None
    return PasswordHasher(**options)


_NEW_HASH_OPTIONS: dict[str, int] = {}
"""Test-only: argon2 parameters for hashing NEW passwords (empty: argon2-cffi's defaults).

Only the test suite sets it (``fast_argon2`` in ``tests/test_serve.py``, by
monkeypatch) so that adding users takes microseconds; nothing else reads it,
no environment variable or option reaches it, and verifying a stored hash
always uses the parameters written in that hash.
"""

_DUMMY: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a constant made once, on first use
    if not _DUMMY:
        _DUMMY.append(hash_password("parkgis: no such user"))
    return _DUMMY[0]


def _check_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise InputError(
            f"user name {name!r} is not allowed: 1 to 64 characters, no spaces, quotes, "
            f"slashes or <>&",
            zh=f"用户名 {name!r} 不可用：1 至 64 个字符，不含空格、引号、斜杠或 <>&",
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(
            f"role {role!r} is not known; use one of {', '.join(ROLES)}",
            zh=f"未知角色 {role!r}；请使用 {'、'.join(ROLES)} 之一",
        )


def _check_password(password: str) -> None:
    if len(password or "") < _MIN_PASSWORD:
        raise InputError(
            f"the password is too short: at least {_MIN_PASSWORD} characters",
            zh=f"密码太短：至少 {_MIN_PASSWORD} 个字符",
        )


def _no_user(name: str) -> InputError:
    return InputError(
        f"no user {name!r}; list them with 'parkgis users list PARK'",
        zh=f"没有用户 {name!r}；用 'parkgis users list 园区' 列出全部用户",
    )


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class _Db:
    """A tiny common face of a sqlite3 and a psycopg connection."""

    def __init__(self, con: Any, mark: str) -> None:
        self.con = con
        self.mark = mark

    def _sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def run(self, text: str, params: tuple[Any, ...] = ()) -> None:
        self.con.execute(self._sql(text), params)

    def one(self, text: str, params: tuple[Any, ...] = ()) -> Any:
        return self.con.execute(self._sql(text), params).fetchone()

    def all(self, text: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return list(self.con.execute(self._sql(text), params).fetchall())


@contextmanager
def _users(park: str | os.PathLike[str], *, write: bool = True) -> Iterator[_Db]:
    """The park's ``users`` table (created if missing) inside one transaction."""
    from parkgis.io.postgis import is_store_url

    if is_store_url(park):
        with _store_users(str(park)) as db:
            yield db
        return
    path = Path(park)
    from parkgis.io.store import check_writable, folder_write_error, is_park_file, is_park_folder

    if is_park_folder(path):
        raise folder_write_error(path)
    if not is_park_file(path):
        raise InputError(
            f"{path} is not a park GeoPackage; users are kept in a park (make one with "
            f"'parkgis copy -o PARK.gpkg' or 'parkgis import ... -o PARK.gpkg')",
            zh=f"{path} 不是园区 GeoPackage；用户保存在园区中（请用 'parkgis copy -o 园区.gpkg' "
            f"或 'parkgis import ... -o 园区.gpkg' 生成）",
        )
    if write:
        check_writable(path)
    con = sqlite3.connect(str(path), isolation_level=None, timeout=_BUSY_MS / 1000)
    try:
        con.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        if write:
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("BEGIN IMMEDIATE")
            con.execute(_DDL)
        else:
            con.execute("BEGIN")
            found = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'"
            ).fetchone()
            if found is None:
                con.execute("COMMIT")
                yield _Db(_Empty(), "?")
                return
        try:
            yield _Db(con, "?")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


class _Empty:
    """A connection to a park without a users table: every query finds nothing."""

    class _Rows:
        def fetchone(self) -> None:
            return None

        def fetchall(self) -> list[Any]:
            return []

    def execute(self, text: str, params: tuple[Any, ...] = ()) -> _Rows:
        return self._Rows()


@contextmanager
def _store_users(url: str) -> Iterator[_Db]:
    from psycopg import sql

    from parkgis.io.postgis import _connect, _park_schema

    with _connect(url) as conn, conn.transaction():
        schema = _park_schema(conn, url)
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(_DDL)
        yield _Db(conn, "%s")
