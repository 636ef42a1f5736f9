"""Vietnamese messages for a command typed wrongly (a missing argument, a bad option value, an unknown command).

Typer (with the click it vendors as `typer._click`) reports these in English; an official or the IT officer reads
Vietnamese. `explain` turns the exception into one Vietnamese sentence and a pointer to the command's help;
`troly.cli.main` prints it and exits with the exception's own code (2 for usage errors), so scripts see the same
exit status as before. `troly` alone still prints the help.
"""

from __future__ import annotations

import re

from typer._click import exceptions as errors  # typer's vendored click: the exceptions its parser raises

ClickException = errors.ClickException
NoArgsIsHelpError = errors.NoArgsIsHelpError

# typer validates values with pydantic; its English reasons, in Vietnamese
_REASONS = (
    (re.compile(r"valid integer"), lambda m: "cần một số nguyên"),
    (re.compile(r"valid number"), lambda m: "cần một số"),
    (re.compile(r"valid boolean"), lambda m: "cần có hoặc không (true/false)"),
    (re.compile(r"greater than or equal to (\S+)"), lambda m: f"cần một số không nhỏ hơn {m.group(1)}"),
    (re.compile(r"less than or equal to (\S+)"), lambda m: f"cần một số không lớn hơn {m.group(1)}"),
    (re.compile(r"greater than (\S+)"), lambda m: f"cần một số lớn hơn {m.group(1)}"),
    (re.compile(r"less than (\S+)"), lambda m: f"cần một số nhỏ hơn {m.group(1)}"),
    (re.compile(r"(?:one of|Input should be) ('.*')"), lambda m: f"cần một trong: {m.group(1)}"),
)


def _command_path(argv: list[str]) -> str:
    """ "troly ask" for ["ask", "--after"]: `troly` and the command typed before any option."""
    first = next((word for word in argv[:1] if not word.startswith("-")), None)
    return f"troly {first}" if first else "troly"


def _name(param, hint: str | None) -> str:
    opts = getattr(param, "opts", None)
    if getattr(param, "param_type_name", "") == "option" and opts:
        return f"tùy chọn {max(opts, key=len)}"
    described = (getattr(param, "help", None) or "").split("(")[0].strip().rstrip(".")
    if described:  # the argument's own Vietnamese help: "Câu hỏi", "Tệp câu hỏi .jsonl", "Mã cán bộ"
        return described[0].lower() + described[1:]
    if param is not None and getattr(param, "name", None):
        return f"“{param.name}”"
    return hint or "giá trị"


def _reason(message: str) -> str:
    for pattern, text in _REASONS:
        m = pattern.search(message)
        if m:
            return text(m)
    return ""


def explain(error: ClickException, argv: list[str] | None = None) -> str:
    """One Vietnamese message for `error`, ending with where to read the command's help.

    `argv` (the command line after `troly`) names the command when click's error carries no context (an
    option left without its value: "troly ask --after" points to "troly ask --help", not "troly --help")."""
    ctx = getattr(error, "ctx", None)
    path = ctx.command_path if ctx is not None else _command_path(argv or [])
    help_hint = f"Xem cách dùng: {path} --help"
    if isinstance(error, errors.MissingParameter):
        text = f"Thiếu {_name(error.param, error.param_hint)}."
    elif isinstance(error, errors.NoSuchOption):
        text = f"Không có tùy chọn {error.option_name}."
    elif isinstance(error, errors.BadOptionUsage):
        text = f"Tùy chọn {error.option_name} cần có giá trị đi kèm."
    elif isinstance(error, errors.BadParameter):
        reason = _reason(error.message)
        text = f"Giá trị của {_name(error.param, error.param_hint)} không hợp lệ" + (
            f": {reason}." if reason else "."
        )
    elif isinstance(error, errors.UsageError) and "No such command" in error.message:
        typed = re.search(r"No such command '([^']*)'", error.message)
        close = (
            re.findall(r"'([^']*)'", error.message.split("Did you mean", 1)[1])
            if "Did you mean" in error.message
            else []
        )
        text = f"Không có lệnh “{typed.group(1)}”." if typed else "Không có lệnh này."
        if close:
            text += " Có phải anh/chị muốn gõ: " + ", ".join(f"{path} {c}" for c in close) + "?"
        help_hint = f"Xem các lệnh: {path} --help"
    elif isinstance(error, errors.UsageError):
        text = "Câu lệnh chưa đúng cách dùng."
    elif isinstance(error, errors.FileError):
        text = f"Không mở được tệp {error.ui_filename}."
    else:
        text = "Không thực hiện được lệnh."
    return f"{text} {help_hint}"
