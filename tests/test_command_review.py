"""Every ``v2xc`` command against hostile files and paths (issue 20, "how it will be checked").

The commands are discovered from the click group, and each must appear in :data:`SLOTS`, which says where it takes
a file, a folder or an output path; a new command without an entry fails :func:`test_every_command_is_reviewed`.
Each input slot is given, in turn: a path that does not exist and holds markup, an emoji code and a terminal escape;
a FIFO; ``/dev/zero``; a folder; a non-UTF-8 file; a file nested 10⁵ deep; a YAML alias bomb; 20 MB of NUL bytes; an
empty file; a folder of such files. Each output slot is given a path whose parent does not exist, a folder, and a
path under a regular file. Options that take free text get markup, emoji codes, control and bidirectional
characters and 5000 characters (:data:`TEXT_SLOTS`). The command must not leave a
traceback or an "internal error" (exit 3 is for the device or the harness, not for a bad file), must exit with a
code from the README's table, must not hang on the FIFO or read ``/dev/zero`` without end, and when it refuses the
input it must name the path as it is (control characters escaped, no markup or emoji applied).
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest
from click.testing import CliRunner

from conformance.cli.main import main
from conformance.engine.console import literal
from conformance.vectors.samples import sample_frames

PROFILE = "csae53-2020-rsu"
#: What a command may exit with (README "Exit codes": 0 success, 1 invalid / failed, 2 usage or configuration
#: error, 3 harness error); which of them a bad *input file* may give is checked separately (never "internal").
README_CODES = (0, 1, 2, 3)
SECONDS = 30  # a command still reading after this is hung (a FIFO, /dev/zero)
MARKUP = "[bold]:100: \x1b[31m\u202e"  # in a folder named "... [", so that every path holds "[/x]" as well

# Placeholders in SLOTS: {IN} a hostile input, {OUT} a hostile output path, and the good files of a fixture.
SLOTS: dict[str, list[list[str]]] = {
    "decode": [["decode", "-e", "csae53-2020", "{IN}"], ["decode", "--asn1-dir", "{IN}", "{HEX}"]],
    "editions": [["editions"]],
    "encode": [["encode", "-e", "csae53-2020", "{IN}"], ["encode", "-e", "csae53-2020", "{JSON}", "-o", "{OUT}"]],
    "identify": [["identify", "{IN}"]],
    "keys generate": [["keys", "generate", "--out", "{OUT}"]],
    "pics check": [
        ["pics", "check", "--profile", PROFILE, "{IN}"],
        ["pics", "check", "--profile", PROFILE, "--profiles-path", "{IN}", "{PICS}"],
        ["pics", "check", "--profile", PROFILE, "--catalogue-path", "{IN}", "{PICS}"],
    ],
    "pics template": [["pics", "template", "--profile", PROFILE, "-o", "{OUT}"]],
    "pixit check": [["pixit", "check", "--profile", PROFILE, "{IN}"]],
    "pixit template": [["pixit", "template", "--profile", PROFILE, "-o", "{OUT}"]],
    "plan": [["plan", "--profile", PROFILE, "--pics", "{IN}"], ["plan", "--profile", "{IN}", "--pics", "{PICS}"]],
    "profiles list": [["profiles", "list", "--profiles-path", "{IN}"], ["profiles", "list", "--profiles-dir", "{IN}"]],
    "profiles show": [["profiles", "show", "{IN}"], ["profiles", "show", PROFILE, "--catalogue-path", "{IN}"]],
    "profiles validate": [["profiles", "validate", "--profiles-path", "{IN}"]],
    "report diff": [["report", "diff", "{IN}", "{RUN}"], ["report", "diff", "{RUN}", "{RUN}", "-o", "{OUT}"]],
    "report gate": [["report", "gate", "{IN}"], ["report", "gate", "{RUN}", "--waivers", "{IN}"]],
    "report matrix": [["report", "matrix", "{IN}"]],
    "report render": [
        ["report", "render", "{IN}", "--format", "md"],
        ["report", "render", "{RUN}", "--format", "md", "--clause-map", "{IN}"],
        ["report", "render", "{RUN}", "--format", "md", "-o", "{OUT}"],
    ],
    "report sign": [["report", "sign", "{IN}", "--key", "{KEY}"], ["report", "sign", "{RUN}", "--key", "{IN}"]],
    "report verify": [["report", "verify", "{IN}"], ["report", "verify", "{SIGNED}", "--public-key", "{IN}"]],
    "run": [
        ["run", "--profile", PROFILE, "--target", "{REC_URL}", "--pics", "{IN}", "--out", "{FRESH}"],
        ["run", "--profile", PROFILE, "--target", "{REC_URL}", "--pics", "{PICS}", "--pixit", "{IN}", "--out",
         "{FRESH}"],
        ["run", "--profile", PROFILE, "--target", "file://{IN}", "--pics", "{PICS}", "--out", "{FRESH}"],
        ["run", "--resume", "{IN}"],
        ["run", "--profile", PROFILE, "--target", "{REC_URL}", "--pics", "{PICS}", "--out", "{OUT}"],
    ],
    "selftest": [],  # takes no file (its timing windows are covered by tests/test_timing.py)
    "sim obu": [["sim", "obu", "--print-pics", "--profiles-path", "{IN}"]],
    "sim rsu": [["sim", "rsu", "--print-pics", "--catalogue-path", "{IN}"]],
    "vectors check": [["vectors", "check", "{IN}"]],
    "vectors generate": [["vectors", "generate", "-e", "csae53-2020", "--type", "MessageFrame", "-o", "{OUT}"]],
    "vectors show": [["vectors", "show", "0", "--corpus", "{IN}"]],
}  # fmt: skip


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        elif command is not None:
            yield " ".join((*prefix, name))


def test_every_command_is_reviewed() -> None:
    assert sorted(_commands(main)) == sorted(SLOTS)


class Hung(BaseException):
    """Raised by the watchdog: not an ``Exception``, so no ``except Exception`` in the product can swallow it."""


def _hostile_inputs(base: Path) -> dict[str, Path]:
    inputs = base / "in ["
    inputs.mkdir()
    missing = inputs / "no[bold]x[" / "x]:100: \x1b[31m.yaml"  # "[/x]" across two names; neither exists
    fifo = inputs / f"x] fifo {MARKUP}.yaml"
    os.mkfifo(fifo)
    folder = inputs / f"x] folder {MARKUP}"
    folder.mkdir()
    binary = inputs / f"x] binary {MARKUP}.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x9b[31m\xc3(" * 10)
    deep = inputs / f"x] deep {MARKUP}.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    bomb = inputs / f"x] bomb {MARKUP}.yaml"  # billion laughs: aliases that expand to 10^9 items
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb.write_text("\n".join(levels) + "\n", encoding="utf-8")
    large = inputs / f"x] large {MARKUP}.yaml"  # 20 MB of NUL bytes (sparse: no disk used)
    with large.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    empty = inputs / f"x] empty {MARKUP}.yaml"
    empty.write_bytes(b"")
    full = inputs / f"x] full {MARKUP}"  # a folder of hostile files, for the options that take a folder
    full.mkdir()
    os.mkfifo(full / "fifo.yaml")
    (full / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (full / "binary.asn").write_bytes(b"\xff\xfe\x00")
    (full / "deep.yaml").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (full / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return {"missing": missing, "fifo": fifo, "dev-zero": Path("/dev/zero"), "folder": folder, "non-utf8": binary,
            "deep": deep, "alias-bomb": bomb, "large": large, "empty": empty,
            "folder-of-hostile-files": full}  # fmt: skip


def _hostile_outputs(base: Path) -> dict[str, Path]:
    outputs = base / "out ["
    outputs.mkdir()
    a_file = outputs / "a-file"
    a_file.write_text("x", encoding="utf-8")
    folder = outputs / f"x] folder {MARKUP}"
    folder.mkdir()
    return {"parent missing": outputs / "no[bold]x[" / "x]:100: \x1b.txt", "folder": folder,
            "under a file": a_file / f"x] {MARKUP}"}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The good files a command needs besides the hostile one: a frame, a JSON value, a PICS, a finished run, a key."""
    base = tmp_path_factory.mktemp("review")
    runner = CliRunner()
    frames = sample_frames()
    recording = base / "rec.hex"
    recording.write_text("".join(f"{frames[kind].hex()}\n" for kind in ("map", "spat", "rsi", "rsm") * 2))
    pics = base / "pics.yaml"
    printed = runner.invoke(main, ["sim", "rsu", "--print-pics"])
    assert printed.exit_code == 0, printed.output
    pics.write_text(printed.output, encoding="utf-8")
    run = base / "run"
    done = runner.invoke(main, ["run", "--profile", PROFILE, "--target", f"file://{recording}", "--pics", str(pics),
                                "--out", str(run), "-k", "MAP"])  # fmt: skip
    assert done.exit_code in (0, 1), done.output
    keys = runner.invoke(main, ["keys", "generate", "--out", str(base / "lab")])
    assert keys.exit_code == 0, keys.output
    signed = base / "signed"
    shutil.copytree(run, signed)
    signing = runner.invoke(main, ["report", "sign", str(signed), "--key", str(base / "lab.key")])
    assert signing.exit_code == 0, signing.output
    decoded = runner.invoke(main, ["decode", "-e", "csae53-2020", frames["map"].hex()])
    (base / "value.json").write_text(decoded.output, encoding="utf-8")
    return {"{HEX}": frames["map"].hex(), "{JSON}": str(base / "value.json"), "{PICS}": str(pics),
            "{RUN}": str(run), "{SIGNED}": str(signed), "{KEY}": str(base / "lab.key"), "{REC_URL}": f"file://{recording}",
            "base": str(base)}  # fmt: skip


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung(f"still running after {SECONDS} s")


def _invoke(args: list[str]) -> tuple[int, str]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(SECONDS)
    try:
        result = CliRunner().invoke(main, args)
    except Hung:
        pytest.fail(f"v2xc {' '.join(map(repr, args))} hung (a FIFO or /dev/zero read without end)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"v2xc {args!r} raised {result.exception!r}:\n{result.output}") from result.exception
    return result.exit_code, result.output


def _cases() -> list[tuple[str, int]]:
    return [(command, index) for command, slots in SLOTS.items() for index in range(len(slots))]


@pytest.mark.parametrize(("command", "index"), _cases(), ids=[f"{c}#{i}" for c, i in _cases()])
def test_hostile_files_and_paths(command: str, index: int, files: dict[str, str], tmp_path: Path) -> None:
    template = SLOTS[command][index]
    kinds: dict[str, Path] = {}
    if "{IN}" in " ".join(template):
        kinds = _hostile_inputs(tmp_path)
    elif "{OUT}" in template:
        kinds = _hostile_outputs(tmp_path)
    problems: list[str] = []
    for kind, path in kinds.items() or [("as given", Path())]:
        fresh = tmp_path / f"fresh-{kind}"
        args = [
            part.replace("{IN}", str(path)).replace("{OUT}", str(path)).replace("{FRESH}", str(fresh))
            for part in template
        ]
        args = [files.get(part, part) for part in args]
        args = [part.replace("{REC_URL}", files["{REC_URL}"]) for part in args]
        code, output = _invoke(args)
        where = f"[{kind}] v2xc {' '.join(args)!r} → exit {code}: {output[-1500:]}"
        if "Traceback" in output or "internal error" in output:
            problems.append(f"traceback or internal error {where}")
        elif code not in README_CODES:
            problems.append(f"exit code outside the README table {where}")
        elif not kinds and code != 0:
            problems.append(f"fails on good input {where}")
        elif kinds and code != 0 and not _names(output, path):
            problems.append(f"the refusal does not name the path literally {where}")
        if any(ch in output for ch in ("\x1b", "\u202e")) or "💯" in output:
            problems.append(f"raw control character or emoji in the output {where}")
    assert not problems, "\n\n".join(problems)


def _names(output: str, path: Path) -> bool:
    """Whether ``output`` names ``path`` as it is: its control characters escaped, no markup or emoji applied (a
    message about a file inside a hostile folder names the folder as the start of the file's path). Whitespace is
    ignored: a table title or a long message may be wrapped at the console's width."""
    return "".join(literal(path).split()) in "".join(output.split())


# ------------------------------------------------------------------------------------------------ hostile text
#: Hostile text given where a command takes a name, an id, an expression or a URL ({T}); the other values are good.
TEXT_SLOTS: dict[str, list[list[str]]] = {
    "decode": [["decode", "-e", "{T}", "{HEX}"], ["decode", "-e", "csae53-2020", "--type", "{T}", "{HEX}"],
               ["decode", "-e", "csae53-2020", "{T}"]],
    "encode": [["encode", "-e", "{T}", "{JSON}"], ["encode", "-e", "csae53-2020", "--type", "{T}", "{JSON}"],
               ["encode", "-e", "csae53-2020", "{T}"]],
    "identify": [["identify", "{T}"]],
    "pics check": [["pics", "check", "--profile", "{T}", "{PICS}"]],
    "pics template": [["pics", "template", "--profile", "{T}"]],
    "pixit check": [["pixit", "check", "--profile", "{T}", "{PICS}"]],
    "pixit template": [["pixit", "template", "--profile", "{T}"]],
    "plan": [["plan", "--profile", PROFILE, "--pics", "{PICS}", "-k", "{T}"],
             ["plan", "--profile", "{T}", "--pics", "{PICS}"]],
    "profiles show": [["profiles", "show", "{T}"]],
    "profiles validate": [["profiles", "validate", "{T}"]],
    "run": [["run", "--profile", "{T}", "--target", "{REC_URL}", "--out", "{FRESH}"],
            ["run", "--profile", PROFILE, "--target", "{T}", "--pics", "{PICS}", "--out", "{FRESH}"],
            ["run", "--profile", PROFILE, "--target", "sim://rsu?{T}", "--out", "{FRESH}"],
            ["run", "--profile", PROFILE, "--target", "{REC_URL}", "--pics", "{PICS}", "-k", "{T}", "--out",
             "{FRESH}"],
            ["run", "--profile", PROFILE, "--target", "{REC_URL}", "--pics", "{PICS}", "--edition", "{T}", "--out",
             "{FRESH}"]],
    "sim rsu": [["sim", "rsu", "--send-to", "127.0.0.1:9", "--fault", "{T}"],
                ["sim", "rsu", "--send-to", "127.0.0.1:9", "--rates", "{T}"],
                ["sim", "rsu", "--send-to", "{T}"], ["sim", "rsu", "--send-to", "127.0.0.1:9", "--bind", "{T}"],
                ["sim", "rsu", "--print-pics", "--profile", "{T}"]],
    "sim obu": [["sim", "obu", "--send-to", "127.0.0.1:9", "--fault", "{T}"],
                ["sim", "obu", "--send-to", "127.0.0.1:9", "--rates", "{T}"],
                ["sim", "obu", "--send-to", "{T}:9"], ["sim", "obu", "--send-to", "127.0.0.1:9", "--bind", "{T}"],
                ["sim", "obu", "--print-pics", "--profile", "{T}"]],
    "vectors generate": [["vectors", "generate", "-e", "{T}", "--type", "MessageFrame"],
                         ["vectors", "generate", "-e", "csae53-2020", "--type", "{T}"]],
    "vectors show": [["vectors", "show", "{T}"]],
}  # fmt: skip
#: Options whose hostile value may be accepted: a -k expression that selects nothing is not an error.
MAY_ACCEPT = ("-k",)
TEXTS = {
    "markup": "[/x][bold]:100: :smile: \x1b[31m\u202e",
    "long": "[/x]:100:" + "L" * 5000,
    "url-like": "[/x]://h:100:?a=[bold]&b=\x07#frag",
}


def test_every_text_option_is_reviewed() -> None:
    """Each option taking free text (a name, id, expression, address) of each command has a TEXT_SLOTS template."""
    missing = []
    for name in _commands(main):
        command: click.Command = main
        for part in name.split():
            assert isinstance(command, click.Group)
            found = command.get_command(click.Context(command), part)
            assert found is not None
            command = found
        for param in command.params:
            if not isinstance(param, click.Option) or type(param.type) is not click.types.StringParamType:
                continue
            used = [args for args in TEXT_SLOTS.get(name, []) if any(opt in args for opt in param.opts)]
            if not any("{T}" in args[args.index(opt) + 1] for args in used for opt in param.opts if opt in args):
                missing.append(f"{name} {param.opts[0]}")
    assert missing == [], f"free-text options without a hostile-text review: {missing}"


def _text_cases() -> list[tuple[str, int]]:
    return [(command, index) for command, slots in TEXT_SLOTS.items() for index in range(len(slots))]


@pytest.mark.parametrize(("command", "index"), _text_cases(), ids=[f"{c}#{i}" for c, i in _text_cases()])
def test_hostile_text_arguments(command: str, index: int, files: dict[str, str], tmp_path: Path) -> None:
    problems: list[str] = []
    for kind, text in TEXTS.items():
        fresh = tmp_path / f"fresh-{kind}"
        args = [part.replace("{T}", text).replace("{FRESH}", str(fresh)) for part in TEXT_SLOTS[command][index]]
        args = [files.get(part, part) for part in args]
        args = [part.replace("{REC_URL}", files["{REC_URL}"]) for part in args]
        code, output = _invoke(args)
        where = f"[{kind}] v2xc {' '.join(args)[:300]!r} → exit {code}: {output[-1500:]}"
        template = TEXT_SLOTS[command][index]
        may_accept = template[template.index("{T}") - 1] in MAY_ACCEPT if "{T}" in template else False
        if "Traceback" in output or "internal error" in output:
            problems.append(f"traceback or internal error {where}")
        elif code not in ((0, 1, 2) if may_accept else (1, 2)):
            problems.append(f"hostile text accepted or not a usage error {where}")
        elif not may_accept and "[/x]" not in output.lower():  # (a KIND of --rates is named upper-case)
            problems.append(f"the refusal does not show the text literally (markup applied?) {where}")
        if any(ch in output for ch in ("\x1b", "\x07", "\u202e")) or "💯" in output or "😄" in output:
            problems.append(f"raw control character or emoji in the output {where}")
    assert not problems, "\n\n".join(problems)
