"""`python -m bot user add|list|disable`: dashboard accounts from the command line.

Works the same for a person (the password is asked twice, not echoed) and for a script
(`--password-file`, first line). Passwords never appear in argv, logs or output.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bot.config import Settings
from bot.dashboard.security import MIN_PASSWORD_CHARS, hash_password
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.storage import staff as staff_store


class _Refused(Exception):
    pass


def _read_password(password_file: str | None) -> str:
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise _Refused(f"cannot read the password file: {exc.strerror}") from None
        return lines[0] if lines else ""
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise _Refused("the two passwords differ")
    return first


async def _add(settings: Settings, args: argparse.Namespace, password_hash: str) -> str:
    engine = make_async_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            user = await staff_store.add_user(
                session, args.name, args.role, password_hash, args.display_name
            )
            return f"created {user.role} {user.name!r} (shown to users as {user.display_name!r})"
    finally:
        await engine.dispose()


async def _list(settings: Settings) -> list[str]:
    engine = make_async_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = await staff_store.list_users(session)
    finally:
        await engine.dispose()
    return [
        f"{u.name:<20} {u.role:<11} {'active' if u.active else 'disabled':<9} {u.display_name}"
        for u in users
    ]


async def _disable(settings: Settings, name: str) -> bool:
    engine = make_async_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await staff_store.disable_user(session, name)
    finally:
        await engine.dispose()


def user_command(settings: Settings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    try:
        if args.action == "add":
            staff_store.normalise_name(args.name)
            password = _read_password(args.password_file)
            if len(password) < MIN_PASSWORD_CHARS:
                raise _Refused(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
            print(asyncio.run(_add(settings, args, hash_password(password))))
        elif args.action == "list":
            for line in asyncio.run(_list(settings)) or ["no accounts yet"]:
                print(line)
        elif args.action == "disable":
            if not asyncio.run(_disable(settings, args.name)):
                raise _Refused(f"there is no user called {args.name!r}")
            print(f"disabled {args.name!r}; their sessions have ended")
    except (_Refused, staff_store.StaffError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
