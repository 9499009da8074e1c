"""`python -m bot <command>`: the assistant's command line.

run                       start Rasa, the action server and the bot (no token: terminal chat)
chat                      the same, always as a terminal chat (offline)
serve                     only the bot, for a Rasa server already running at RASA_URL
setup                     create the Rasa token and the data key (once), install Rasa, train the
                          model if needed
actions [--port N]        run the Rasa action server (started by `run`)
content check             check the content files (sources, dates, languages, length)
content export            write answers published in the dashboard back into content/
content translate --lang LANG [--keys KEY ...]
                          draft missing translations from German (status: machine; needs
                          TRANSLATOR=googletrans); never overwrites a file
export conversations [--since DATE]   conversation log as JSONL on stdout (no case threads,
                          phone numbers and e-mail addresses masked)
export stats [--since DATE]   counts per ISO week, language, intent, content key and fallback
                          kind as CSV on stdout (no text, no pseudonyms)
report --month YYYY-MM --out FILE.html [--lang de|en]
                          the monthly report for the Kreis coordination group (no personal
                          data; printable to PDF)
nlu evaluate              NLU quality per language on tests/nlu/heldout/ (needs a running Rasa)
db upgrade                apply database migrations
dashboard                 only the caseworker dashboard (DASHBOARD_HOST:DASHBOARD_PORT)
user add NAME --role ROLE [--password-file FILE] [--display-name NAME]
                          a dashboard account (caseworker, editor, admin); asks for the password
user list | user disable NAME
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import sys
from dataclasses import replace

from bot.config import ConfigError, Settings, load_settings
from bot.data_key import MISSING_DATA_KEY, create_data_key, read_data_key
from bot.logging_setup import setup_logging

logger = logging.getLogger("bot")

BOTFATHER_HINT = """
No TELEGRAM_BOT_TOKEN is set, so the assistant starts as a chat in this terminal.
To serve Telegram: open Telegram, talk to @BotFather, send /newbot, follow the steps,
and put the token into .env as TELEGRAM_BOT_TOKEN=123456:ABC… — then run `make run` again.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start everything (Telegram, or terminal chat without a token)")
    sub.add_parser("chat", help="start everything as a terminal chat")
    sub.add_parser("serve", help="only the bot (Rasa must already run at RASA_URL)")
    sub.add_parser("setup", help="install Rasa and train the model if needed")
    actions = sub.add_parser("actions", help="run the Rasa action server")
    actions.add_argument("--port", type=int, default=None)
    content = sub.add_parser("content", help="content tools")
    content.add_argument("what", choices=["check", "translate", "export"])
    content.add_argument("--lang", default=None, help="translate: the target language")
    content.add_argument(
        "--keys", nargs="+", default=None, help="translate: only these keys (default: all)"
    )
    export = sub.add_parser("export", help="export data")
    export.add_argument("what", choices=["conversations", "stats"])
    export.add_argument("--since", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")
    report = sub.add_parser("report", help="the monthly report as an HTML file")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.add_argument("--lang", choices=["de", "en"], default="de")
    nlu = sub.add_parser("nlu", help="NLU tools")
    nlu.add_argument("what", choices=["evaluate"])
    db = sub.add_parser("db", help="database tools")
    db.add_argument("what", choices=["upgrade"])
    sub.add_parser("dashboard", help="only the caseworker dashboard")
    user = sub.add_parser("user", help="dashboard accounts")
    users = user.add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["caseworker", "editor", "admin"])
    add.add_argument("--password-file", default=None, help="read the password from this file")
    add.add_argument("--display-name", default=None, help="the name users see with replies")
    users.add_parser("list", help="list the accounts")
    disable = users.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("name")
    return parser


async def _bot_only(settings: Settings, dashboard_url: str | None = None) -> None:
    from bot.app import Assistant

    assistant = Assistant(settings, dashboard_url=dashboard_url)
    await assistant.start()
    try:
        await assistant.wait()
    finally:
        await assistant.stop()


def _stop_on_signals() -> None:
    """SIGTERM (systemd, Docker, `kill`) and SIGINT stop the assistant as Ctrl-C does: the
    main task is cancelled, so the dashboard, the bot, Rasa and the action server are stopped
    in order. Without this SIGTERM killed the bot on the spot, and a bot started in the
    background by a shell (which makes it ignore SIGINT) could not be stopped with SIGINT."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, main.cancel)


async def _serve(settings: Settings, terminal: bool, with_rasa: bool) -> None:
    from bot.dashboard.server import dashboard_running, hint_first_admin
    from bot.rasa.supervisor import rasa_and_actions
    from bot.terminal_chat import run_terminal_chat

    _stop_on_signals()
    if not with_rasa:
        await _bot_only(settings)
        return
    await hint_first_admin(settings)
    async with dashboard_running(settings) as dashboard_url, rasa_and_actions(settings):
        if terminal:
            await run_terminal_chat(settings, dashboard_url=dashboard_url)
        else:
            await _bot_only(settings, dashboard_url)


def _with_data_key(settings: Settings) -> Settings | None:
    """The settings with the data key, or None after one line on stderr saying how to make it.

    On SQLite (one machine, `make run` runs setup anyway) a missing key is created here, as
    setup does; on PostgreSQL a missing key means a deployment that skipped setup: refused.
    """
    if settings.data_key is not None:
        return settings
    if not settings.database_url.startswith("sqlite"):
        print(f"configuration error: {MISSING_DATA_KEY}", file=sys.stderr)
        return None
    logger.info("created the data key %s", create_data_key(settings.data_dir))
    return replace(settings, data_key=read_data_key({}, settings.data_dir))


def _run(settings: Settings, terminal: bool, with_rasa: bool = True) -> int:
    from bot.dashboard.server import DashboardError
    from bot.db.migrate import upgrade
    from bot.rasa.access import MISSING_TOKEN, warn_if_exposed
    from bot.rasa.client import RasaError
    from bot.telegram.poller import FatalTelegramError

    if not settings.rasa_token:
        print(f"configuration error: {MISSING_TOKEN}", file=sys.stderr)
        return 2
    keyed = _with_data_key(settings)
    if keyed is None:
        return 2
    settings = keyed
    warn_if_exposed(settings.rasa_url)
    upgrade(settings.database_url)
    if terminal and not settings.telegram_enabled:
        print(BOTFATHER_HINT, file=sys.stderr)
    try:
        asyncio.run(_serve(settings, terminal, with_rasa))
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C, SIGINT or SIGTERM
        logger.info("stopped")
    except (FatalTelegramError, DashboardError, RasaError) as exc:
        logger.error("%s", exc)
        return 2
    return 0


def _actions(settings: Settings, port: int | None) -> int:
    from rasa_sdk.endpoint import run as run_action_server
    from rasa_sdk.executor import ActionExecutor

    # rasa-sdk reads its interface only from SANIC_HOST (else 0.0.0.0): set it from our
    # explicit setting, so a stray SANIC_HOST in the environment cannot expose the server.
    os.environ["SANIC_HOST"] = settings.action_server_host
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    run_action_server(executor, port=port or settings.action_server_port, cors_origins=None)
    return 0


def _content_check(settings: Settings) -> int:
    from bot.content.check import run_check

    report = run_check(settings.content_dir, max_age=settings.review_max_age)
    print(report.render())
    return report.exit_code


async def _content_translate(settings: Settings, language: str, keys: list[str] | None) -> int:
    from bot.db.engine import make_async_engine, make_sessionmaker
    from bot.translation.drafts import UnknownKey, draft_missing
    from bot.translation.service import build_translator, close_translator

    engine = make_async_engine(settings.database_url)
    translator = build_translator(settings, make_sessionmaker(engine))
    # This command reports an unreachable service itself, in one line.
    logging.getLogger("bot.translation.service").setLevel(logging.ERROR)
    try:
        report = await draft_missing(settings.content_dir, language, translator, keys)
    except UnknownKey as exc:
        print(f"unknown key {exc} (see content/catalog.yml)", file=sys.stderr)
        return 2
    finally:
        await close_translator(translator)
        await engine.dispose()
    root = settings.project_root
    for path in report.written:
        print(f"drafted {path.relative_to(root)} (status: machine, needs an editor's review)")
    for key in report.no_source:
        print(f"skipped {key}: no German file")
    print(f"{len(report.written)} drafted, {len(report.existing)} already there")
    if report.failed is not None:
        print(
            f"the translation service at {settings.translator_url} did not answer "
            f"(stopped at {report.failed}); try again later",
            file=sys.stderr,
        )
        return 1
    return 0


def _content_export(settings: Settings) -> int:
    """Editors' browser publications back into content/ (then commit them with git)."""
    from bot.content.export import export_overlay
    from bot.db.engine import make_sync_engine
    from bot.db.migrate import upgrade

    upgrade(settings.database_url)
    engine = make_sync_engine(settings.database_url)
    try:
        done = export_overlay(engine, settings.content_dir)
    finally:
        engine.dispose()
    root = settings.project_root
    for path in done.files:
        print(f"wrote {path.relative_to(root) if path.is_relative_to(root) else path}")
    for key in done.keys:
        print(f"added {key} to content/catalog.yml")
    print(f"{len(done.files)} files, {len(done.keys)} new keys exported")
    return 0


def _content(settings: Settings, args: argparse.Namespace) -> int:
    from bot.languages import LANGUAGES

    if args.what == "check":
        return _content_check(settings)
    if args.what == "export":
        return _content_export(settings)
    if args.lang not in LANGUAGES or args.lang == "de":
        codes = ", ".join(code for code in LANGUAGES if code != "de")
        print(f"content translate needs --lang, one of: {codes}", file=sys.stderr)
        return 2
    if settings.translator == "none":
        print(
            "no translator configured: set TRANSLATOR=googletrans (sends the German texts "
            "to Google Translate) and run again",
            file=sys.stderr,
        )
        return 2
    from bot.db.migrate import upgrade

    keyed = _with_data_key(settings)  # the translation cache is sealed with it
    if keyed is None:
        return 2
    upgrade(settings.database_url)
    return asyncio.run(_content_translate(keyed, args.lang, args.keys))


def _export(settings: Settings, what: str, since: dt.date | None) -> int:
    from bot.db.engine import make_sync_engine

    engine = make_sync_engine(settings.database_url)
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    if what == "stats":
        from bot.export_stats import stats, write_csv

        rows = write_csv(stats(engine, start), sys.stdout)
        logger.info("exported %d stats rows", rows)
        return 0
    from bot.export import conversation_records, write_jsonl

    count = write_jsonl(conversation_records(engine, start), sys.stdout)
    logger.info("exported %d messages", count)
    return 0


async def _nlu_evaluate(settings: Settings) -> int:
    from bot.rasa.client import RasaClient
    from bot.rasa.evaluation import evaluate

    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    try:
        reports = await evaluate(rasa, settings.project_root / "tests" / "nlu" / "heldout")
    finally:
        await rasa.close()
    for report in reports:
        print(report.summary())
    return 0


def _report(settings: Settings, month: str, out: str, language: str) -> int:
    from pathlib import Path

    from bot.db.migrate import upgrade
    from bot.reporting.command import monthly_report_html
    from bot.reporting.monthly import parse_month

    try:
        first = parse_month(month)
    except ValueError:
        print("report needs --month YYYY-MM, e.g. --month 2026-11", file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    html = asyncio.run(monthly_report_html(settings, first, language))
    Path(out).write_text(html, encoding="utf-8")
    return 0


def _dashboard(settings: Settings) -> int:
    from bot.dashboard.server import DashboardError, run_dashboard
    from bot.db.migrate import upgrade

    if settings.translator != "none":  # the translation cache is sealed with the data key
        keyed = _with_data_key(settings)
        if keyed is None:
            return 2
        settings = keyed
    upgrade(settings.database_url)
    try:
        asyncio.run(run_dashboard(settings))
    except KeyboardInterrupt:
        logger.info("stopped")
    except DashboardError as exc:
        logger.error("%s", exc)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    if args.command in {"run", "chat"}:
        return _run(settings, terminal=args.command == "chat" or not settings.telegram_enabled)
    if args.command == "serve":
        return _run(settings, terminal=False, with_rasa=False)
    if args.command == "setup":
        from bot.rasa.access import create_rasa_token
        from bot.rasa.runtime import RasaSetupError
        from bot.rasa.supervisor import prepare_rasa

        try:
            if settings.rasa_token is None:
                logger.info("created the Rasa token %s", create_rasa_token(settings.data_dir))
            if settings.data_key is None:
                logger.info("created the data key %s", create_data_key(settings.data_dir))
            prepare_rasa(settings)
        except RasaSetupError as exc:
            print(f"setup error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "actions":
        return _actions(settings, args.port)
    if args.command == "content":
        return _content(settings, args)
    if args.command == "export":
        return _export(settings, args.what, args.since)
    if args.command == "report":
        return _report(settings, args.month, args.out, args.lang)
    if args.command == "nlu":
        return asyncio.run(_nlu_evaluate(settings))
    if args.command == "db":
        from bot.db.migrate import upgrade

        upgrade(settings.database_url)
        return 0
    if args.command == "dashboard":
        return _dashboard(settings)
    if args.command == "user":
        from bot.dashboard.accounts import user_command

        return user_command(settings, args)
    return 2


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
