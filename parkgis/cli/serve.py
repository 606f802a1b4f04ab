"""``parkgis serve`` and ``parkgis users``: the park on the office intranet.

::

    parkgis users add PARK NAME --role editor      # asks for the password twice
    parkgis serve PARK [--host 127.0.0.1] [--port 8765] [--public] [--root-path /park]

PARK is a park GeoPackage or a store URL; users and their roles are kept in
it (:mod:`parkgis.serve.users`). A park folder of an earlier version keeps no
users: convert it with ``parkgis copy FOLDER -o NEW.gpkg``.
"""

from __future__ import annotations

import sys

import click

from parkgis.cli.common import handle_errors
from parkgis.errors import InputError, MissingDependencyError

__all__ = ["COMMANDS", "serve", "users"]

_ROLE_HELP = "viewer (reads), editor (also records changes), admin (also sees private fields)."


def _park(value: str) -> str:
    """A store URL as given, a file path as given (both are read by the store functions)."""
    return value


def _password(password_stdin: bool, *, confirm: bool = True) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(click.prompt("Password / 密码", hide_input=True, confirmation_prompt=confirm))


@click.command()
@click.argument("park", metavar="PARK")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 for every interface of the machine.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--public",
    is_flag=True,
    help="Anonymous visitors may read (never edit, never see private fields).",
)
@click.option(
    "--root-path",
    default="",
    metavar="/PATH",
    help="The path the app is served under behind a reverse proxy, e.g. /park.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    metavar="IPS",
    help="Proxies whose X-Forwarded-For/-Proto headers are trusted (HTTPS, client "
    "address for the sign-in limit).",
)
@handle_errors
def serve(park, host, port, public, root_path, forwarded_allow_ips) -> None:  # fmt: skip
    """Serve a park on the intranet: map, search, parcels, figures, briefings, edits.

    Everyone reads after signing in (with --public, without); editors record
    status and title changes, each with their name as 'by', one transaction.
    Add users first: parkgis users add PARK NAME --role editor.
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError(
            "parkgis serve needs the serve extra: pip install 'parkgis[serve]'",
            zh="parkgis serve 需要 serve 扩展：pip install 'parkgis[serve]'",
        ) from None
    from parkgis.serve.app import create_app
    from parkgis.serve.users import list_users

    if root_path and not root_path.startswith("/"):
        raise click.BadParameter("write it as /PATH, e.g. /park", param_hint="--root-path")
    if not public:
        try:
            known = list_users(_park(park))
        except InputError as exc:
            raise InputError(
                f"{exc}; or serve it read-only to everyone with --public",
                zh=f"{exc.text('zh')}；或加 --public 只读公开",
            ) from None
        if not known:
            raise InputError(
                f"{park} has no users yet, so nobody could sign in: add one with "
                f"'parkgis users add {park} NAME --role admin' (or serve it read-only with "
                f"--public)",
                zh=f"{park} 还没有用户，无人能登录：请先用 'parkgis users add {park} 用户名 --role "
                f"admin' 添加（或加 --public 只读公开）",
            )
    app = create_app(_park(park), public=public, root_path=root_path)
    where = f"http://{host}:{port}{root_path.rstrip('/')}/"
    click.echo(f"parkgis: serving {park} at {where} (Ctrl-C stops)", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        access_log=True,
    )


@click.group()
def users() -> None:
    """Keep the users of a served park and their roles (viewer, editor, admin), in the park."""


@users.command(name="add")
@click.argument("park", metavar="PARK")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["viewer", "editor", "admin"]),
    default="viewer",
    show_default=True,
    help=_ROLE_HELP,
)
@click.option(
    "--private",
    "private",
    is_flag=True,
    help="Let a viewer or editor see the private fields (land owners' data).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@handle_errors
def users_add(park, name, role, private, password_stdin) -> None:  # fmt: skip
    """Add a user; the password is asked for (hidden) or read with --password-stdin."""
    from parkgis.serve.users import add_user

    user = add_user(_park(park), name, _password(password_stdin), role=role, private=private)
    click.echo(f"{user.name}: {user.role}{' (private)' if user.private else ''}")


@users.command(name="remove")
@click.argument("park", metavar="PARK")
@click.argument("name")
@handle_errors
def users_remove(park, name) -> None:
    """Remove a user (their recorded changes keep their name)."""
    from parkgis.serve.users import remove_user

    remove_user(_park(park), name)
    click.echo(f"{name}: removed")


@users.command(name="passwd")
@click.argument("park", metavar="PARK")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["viewer", "editor", "admin"]), help="Also change the role."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input.",
)
@handle_errors
def users_passwd(park, name, role, password_stdin) -> None:  # fmt: skip
    """Set a user's password (asked for, hidden), and the role with --role."""
    from parkgis.serve.users import set_password

    set_password(_park(park), name, _password(password_stdin), role=role)
    click.echo(f"{name}: password changed")


@users.command(name="list")
@click.argument("park", metavar="PARK")
@handle_errors
def users_list(park) -> None:
    """List the users and their roles (never their passwords)."""
    from parkgis.serve.users import list_users

    for user in list_users(_park(park)):
        flag = "\tprivate" if user.private else ""
        click.echo(f"{user.name}\t{user.role}{flag}")


COMMANDS = [serve, users]
