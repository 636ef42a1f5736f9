"""``troly bot``: run the Telegram bot (long polling by default, ``--webhook URL`` for production).

``bot_command`` is a plain typer command function; ``troly/cli/__init__.py`` mounts it as ``troly bot`` and
``python -m bot`` (bot/__main__.py) runs it on its own through ``main``.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Annotated

import typer

log = logging.getLogger("bot")


def configure_logging(level: str = "INFO", home: Path | None = None) -> None:
    root = logging.getLogger()
    if getattr(root, "_troly_bot_configured", False):
        return
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(fmt)
    root.addHandler(stderr)
    if home is not None:
        try:
            (home / "logs").mkdir(parents=True, exist_ok=True)
            fh = RotatingFileHandler(
                home / "logs" / "bot.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
            )
            fh.setFormatter(fmt)
            root.addHandler(fh)
        except OSError as exc:
            print(f"Không ghi được tệp nhật ký trong {home}: {exc}", file=sys.stderr)
    root.setLevel(level.upper())
    # One INFO line per HTTP request is noise (and would print the token in URLs).
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._troly_bot_configured = True  # type: ignore[attr-defined]


def bot_command(
    webhook: Annotated[
        str | None,
        typer.Option("--webhook", help="URL công khai (https) để Telegram gửi cập nhật; bỏ trống = polling."),
    ] = None,
    listen: Annotated[str, typer.Option("--listen", help="Địa chỉ nghe của máy chủ webhook.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cổng nghe của máy chủ webhook.")] = 8443,
    secret_token: Annotated[
        str | None,
        typer.Option(
            "--secret-token",
            envvar="TELEGRAM_WEBHOOK_SECRET",
            help="Mã bí mật Telegram gửi kèm mỗi yêu cầu webhook (mặc định: sinh ngẫu nhiên mỗi lần chạy).",
        ),
    ] = None,
    url_path: Annotated[
        str | None,
        typer.Option("--url-path", help="Đường dẫn nghe cục bộ (mặc định: đường dẫn của --webhook)."),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING…")] = "INFO",
) -> None:
    """Chạy bot Telegram (polling; --webhook URL để chạy webhook). Cần TELEGRAM_BOT_TOKEN."""
    from troly.cli.common import settings as parsed_settings

    settings = parsed_settings()
    if not settings.telegram_token:
        from bot.app import MissingTokenError

        typer.echo(f"Lỗi: {MissingTokenError()}", err=True)
        raise typer.Exit(2)
    configure_logging(log_level, settings.home)

    from bot.app import build_application, run_polling, run_webhook
    from tasks.workdays import CalendarFileError

    try:
        application = build_application(settings)
    except CalendarFileError as exc:  # the office's holidays file (TROLY_HOLIDAYS_FILE) is wrong
        typer.echo(f"Lỗi: {exc}", err=True)
        raise typer.Exit(2) from None
    if webhook:
        if not webhook.lower().startswith("https://"):
            # Telegram only delivers to https addresses; plain http only works with a local stand-in
            logging.getLogger("troly.bot").warning(
                "Địa chỉ webhook %s không phải https: Telegram chỉ gửi cập nhật tới địa chỉ https "
                "(cổng 443, 80, 88 hoặc 8443). Dùng nginx giữ chứng chỉ (docs/trien-khai.md, mục 9).",
                webhook,
            )
        run_webhook(
            application, webhook, listen=listen, port=port, secret_token=secret_token, url_path=url_path
        )
    else:
        run_polling(application)


def main(argv: list[str] | None = None) -> None:
    app = typer.Typer(add_completion=False, help="Trợ lý công vụ — bot Telegram")
    app.command()(bot_command)
    app(args=argv, prog_name="python -m bot")
