"""The captcha drawing in the terminal: drawn only when legible (wide enough, enough contrast, a terminal that can
show block characters), and when drawn, a faithful picture (half blocks: 2 pixels per cell).

The pictures are made here with Pillow: the sandbox portal's own captcha (noise lines and dots) and plain ones
whose shape is known, so the tests can check what the drawing shows, not just that something was printed.
"""

from __future__ import annotations

import io
import re
import sys

import pytest
from PIL import Image, ImageDraw, ImageFont

from agent.portal.captcha_render import (
    MIN_PIXEL_ROWS,
    Terminal,
    _sgr_256,
    colour_mode,
    detect_terminal,
    draw_captcha,
)
from agent.sandbox.portal.captcha import HEIGHT, WIDTH, render_png

pytestmark = pytest.mark.unit

MONO = Terminal(is_tty=True, columns=120, colour="none", blocks=True)
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def plain_digits(code: str = "4092", *, ink: int = 20, paper: int = 240, size: tuple[int, int] = (100, 36)) -> bytes:
    """Digits on a flat background, no noise: what a legible drawing must keep apart."""
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(size[1] * 0.66))
    step = size[0] // (len(code) + 1)
    for index, digit in enumerate(code):
        draw.text((step // 2 + index * step, size[1] // 8), digit, font=font, fill=ink)
    return png(image.convert("RGB"))


def pixels_of(drawing: str) -> list[list[bool]]:
    """The black-and-white drawing turned back into pixels (each cell: top and bottom)."""
    top = {" ": False, "▀": True, "▄": False, "█": True}
    bottom = {" ": False, "▀": False, "▄": True, "█": True}
    lines = drawing.split("\n")
    width = max(len(line) for line in lines)
    rows: list[list[bool]] = []
    for line in lines:
        line = line.ljust(width)
        rows.append([top[ch] for ch in line])
        rows.append([bottom[ch] for ch in line])
    return rows


def ink_runs(rows: list[list[bool]]) -> int:
    """How many separate groups of inked columns the picture has (digits side by side)."""
    inked = [any(row[x] for row in rows) for x in range(len(rows[0]))]
    return sum(1 for x, on in enumerate(inked) if on and (x == 0 or not inked[x - 1]))


def test_the_drawing_keeps_the_four_digits_apart_at_full_width() -> None:
    drawing = draw_captcha(plain_digits("4092"), MONO)
    assert drawing.text is not None, drawing.reason
    assert set(drawing.text) <= set(" ▀▄█\n")
    rows = pixels_of(drawing.text)
    assert len(rows) == 36  # 18 lines of 2 pixels: the picture's own height
    assert ink_runs(rows) == 4


def test_the_drawing_is_faithful_to_a_known_shape() -> None:
    image = Image.new("RGB", (80, 30), (250, 250, 250))
    # 20 wide, 16 tall, from an odd row: its first and last lines are half cells (▄ at the top, ▀ at the bottom)
    ImageDraw.Draw(image).rectangle((20, 7, 39, 22), fill=(10, 10, 10))
    drawing = draw_captcha(png(image), MONO)
    assert drawing.text is not None, drawing.reason
    rows = pixels_of(drawing.text)
    inked = {(x, y) for y, row in enumerate(rows) for x, on in enumerate(row) if on}
    expected = {(x, y) for x in range(20, 40) for y in range(7, 23)}
    assert len(inked ^ expected) <= 0.05 * len(expected)


@pytest.mark.parametrize("code", ["4092", "1875", "3361"])
def test_the_sandbox_captcha_is_drawn_on_a_wide_terminal(code: str) -> None:
    drawing = draw_captcha(render_png(code), MONO)
    assert drawing.text is not None, drawing.reason
    lines = drawing.text.split("\n")
    assert len(lines) == HEIGHT // 2
    assert max(len(line) for line in lines) <= WIDTH
    # the noise dots are filtered out: ink is the digits (and the odd noise line), not a sprinkle everywhere
    rows = pixels_of(drawing.text)
    share = sum(map(sum, rows)) / (len(rows) * len(rows[0]))
    assert 0.05 < share < 0.4


def test_a_narrow_terminal_gets_no_drawing_and_the_reason() -> None:
    narrow = Terminal(is_tty=True, columns=50, colour="none", blocks=True)
    drawing = draw_captcha(render_png("4092"), narrow)
    assert drawing.text is None
    needed = int(re.search(r"needs (\d+)", drawing.reason).group(1))  # type: ignore[union-attr]
    assert "50 columns" in drawing.reason
    # ... and at the width it names, it is drawn, with at least MIN_PIXEL_ROWS pixel rows
    wide_enough = draw_captcha(render_png("4092"), Terminal(True, needed, "none", True))
    assert wide_enough.text is not None, wide_enough.reason
    assert 2 * len(wide_enough.text.split("\n")) >= MIN_PIXEL_ROWS


def test_a_faint_picture_is_not_drawn() -> None:
    drawing = draw_captcha(plain_digits(ink=205, paper=225), MONO)
    assert drawing.text is None
    assert "contrast" in drawing.reason
    assert draw_captcha(plain_digits(ink=120, paper=235), MONO).text is not None


def test_a_tiny_picture_is_not_drawn() -> None:
    drawing = draw_captcha(plain_digits(size=(40, 12)), MONO)
    assert drawing.text is None
    assert "too small" in drawing.reason


def test_a_blank_picture_is_not_drawn() -> None:
    assert draw_captcha(png(Image.new("RGB", (100, 36), (240, 240, 240))), MONO).text is None


@pytest.mark.parametrize(
    ("terminal", "reason"),
    [
        (Terminal(is_tty=False, columns=200, colour="truecolor", blocks=True), "not a terminal"),
        (Terminal(is_tty=True, columns=200, colour="none", blocks=False), "no block characters"),
    ],
)
def test_no_drawing_where_it_cannot_be_shown(terminal: Terminal, reason: str) -> None:
    drawing = draw_captcha(render_png("4092"), terminal)
    assert drawing.text is None
    assert reason in drawing.reason


def test_an_unreadable_image_is_not_drawn() -> None:
    drawing = draw_captcha(b"\x89PNG not really", MONO)
    assert drawing.text is None
    assert "could not be read" in drawing.reason


def test_truecolour_drawing_uses_the_pictures_colours() -> None:
    image = Image.new("RGB", (60, 24), (238, 243, 236))
    ImageDraw.Draw(image).rectangle((0, 0, 29, 23), fill=(160, 30, 30))  # left half red, right half pale
    drawing = draw_captcha(png(image), Terminal(True, 120, "truecolor", True))
    assert drawing.text is not None, drawing.reason
    lines = drawing.text.split("\n")
    assert len(lines) == 12
    assert all(_SGR.sub("", line) == "▀" * 60 for line in lines)
    assert all(line.endswith("\x1b[0m") for line in lines)  # the colours are reset at the end of every line
    first = lines[0]
    assert first.startswith("\x1b[38;2;160;30;30m\x1b[48;2;160;30;30m▀")
    assert "\x1b[38;2;238;243;236m\x1b[48;2;238;243;236m▀\x1b[0m" in first


def test_256_colour_drawing() -> None:
    drawing = draw_captcha(render_png("4092"), Terminal(True, 120, "256", True))
    assert drawing.text is not None
    assert "\x1b[38;5;" in drawing.text
    assert "\x1b[38;2;" not in drawing.text


@pytest.mark.parametrize(
    ("rgb", "index"),
    [((255, 0, 0), 196), ((0, 0, 0), 16), ((255, 255, 255), 231), ((128, 128, 128), 244), ((0, 95, 135), 24)],
)
def test_the_256_colour_palette(rgb: tuple[int, int, int], index: int) -> None:
    assert _sgr_256(rgb) == index


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "xterm"}, "none"),
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"}, "none"),
        ({"TERM": "dumb", "COLORTERM": "truecolor"}, "none"),
    ],
)
def test_colour_mode_from_the_environment(env: dict[str, str], mode: str) -> None:
    assert colour_mode(env, windows=False) == mode


def test_windows_terminal_has_colours_the_old_console_not() -> None:
    assert colour_mode({"WT_SESSION": "x"}, windows=True) == "truecolor"
    assert colour_mode({}, windows=True) == "none"


def test_detect_terminal_on_a_pipe_and_an_ascii_stream() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    terminal = detect_terminal(stream, {"COLORTERM": "truecolor"})
    assert terminal.is_tty is False
    assert terminal.blocks is False
    assert terminal.colour == "none"  # colours only for a terminal
    utf8 = detect_terminal(io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), {})
    assert utf8.blocks is True


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_detect_terminal_measures_the_stream_it_draws_on() -> None:
    import fcntl
    import os
    import struct
    import termios

    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 57, 0, 0))
        with open(slave, "w", encoding="utf-8", closefd=False) as stream:
            terminal = detect_terminal(stream, {"TERM": "xterm-256color"})
        assert terminal == Terminal(is_tty=True, columns=57, colour="256", blocks=True)
        assert draw_captcha(render_png("4092"), terminal).text is not None  # 57 columns: just enough
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 56, 0, 0))
        with open(slave, "w", encoding="utf-8", closefd=False) as stream:
            assert draw_captcha(render_png("4092"), detect_terminal(stream, {})).text is None
    finally:
        os.close(master)
        os.close(slave)
