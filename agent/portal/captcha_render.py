"""Drawing a captcha in the terminal, only when the drawing will be legible.

What belongs here: what the terminal can show (width, colours, block characters), whether a captcha PNG can be
drawn there readably (size after scaling, contrast), and the drawing itself. Saving the PNG and asking for the
answer is ``agent.portal.human``'s job; the saved image is always the reference and the drawing only a convenience.

The drawing uses half-block characters: each cell shows two pixels stacked (``▀`` with the top pixel as foreground
colour and the bottom one as background colour), so a 100x36 captcha needs 100 columns and 18 rows. With colours
the picture is drawn as it is; without colours it is turned into black and white (Otsu's threshold, after a median
filter that removes the 1-pixel noise dots) and drawn with ``▀ ▄ █``. When the picture would be too small, too
faint or the terminal cannot show it, nothing is drawn and ``Drawing.reason`` says why.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import Final, Literal, TextIO

ColourMode = Literal["none", "256", "truecolor"]

#: Fewer pixel rows than this (after scaling to the terminal's width) and the digits blur into each other.
MIN_PIXEL_ROWS: Final = 20
#: Never draw more columns than this, even on a very wide terminal (the picture only gets coarser to read).
MAX_COLUMNS: Final = 100
#: Never draw more terminal rows than this.
MAX_ROWS: Final = 30
#: Mean brightness difference (0-1) between the code and its background below which the drawing is too faint.
MIN_CONTRAST: Final = 0.25
#: In black and white, the code must cover between these fractions of the picture to be text on a background.
INK_RANGE: Final = (0.02, 0.55)
_BLOCKS: Final = "▀▄█"


@dataclasses.dataclass(frozen=True)
class Terminal:
    """What the terminal the drawing goes to can show."""

    is_tty: bool
    columns: int
    colour: ColourMode
    #: True when the stream's encoding can carry the block characters.
    blocks: bool


@dataclasses.dataclass(frozen=True)
class Drawing:
    """A drawing of the captcha (``text``), or why there is none (``reason``, e.g. "the terminal is too narrow")."""

    text: str | None
    reason: str = ""


def colour_mode(environ: Mapping[str, str], *, windows: bool | None = None) -> ColourMode:
    """The colours a terminal supports, judged from its environment (``NO_COLOR`` turns colours off)."""
    if environ.get("NO_COLOR"):
        return "none"
    term = environ.get("TERM", "").lower()
    if term == "dumb":
        return "none"
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    if (os.name == "nt" if windows is None else windows) and environ.get("WT_SESSION"):
        return "truecolor"  # Windows Terminal; the old console may not understand colour sequences at all
    if "256color" in term:
        return "256"
    return "none"


def detect_terminal(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> Terminal:
    """The terminal behind ``stream`` (default: standard error, where prompts and drawings go)."""
    stream = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    try:
        is_tty = bool(stream) and stream.isatty()
    except (ValueError, OSError):  # a closed or detached stream
        is_tty = False
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        _BLOCKS.encode(encoding)
        blocks = True
    except (UnicodeEncodeError, LookupError):
        blocks = False
    try:  # the width of the terminal the drawing goes to, even when standard output is piped (--json)
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        columns = shutil.get_terminal_size(fallback=(80, 24)).columns
    return Terminal(is_tty=is_tty, columns=columns, colour=colour_mode(env) if is_tty else "none", blocks=blocks)


# --- the picture -------------------------------------------------------------------------------------------------


def _otsu(histogram: Sequence[int]) -> int:
    """The grey level that best separates a 256-bin histogram into two classes (Otsu's method)."""
    total = sum(histogram)
    weighted = sum(i * n for i, n in enumerate(histogram))
    best, best_var = 0, -1.0
    below = below_sum = 0
    for level, count in enumerate(histogram):
        below += count
        below_sum += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_below = below_sum / below
        mean_above = (weighted - below_sum) / above
        between = below * above * (mean_below - mean_above) ** 2
        if between > best_var:
            best, best_var = level, between
    return best


def _sgr_256(rgb: tuple[int, int, int]) -> int:
    """The nearest colour of the xterm 256-colour palette (the 6x6x6 cube or the grey ramp)."""
    r, g, b = rgb

    def cube(v: int) -> int:
        return 0 if v < 48 else 1 if v < 115 else (v - 35) // 40

    levels = (0, 95, 135, 175, 215, 255)
    cr, cg, cb = cube(r), cube(g), cube(b)
    cube_rgb = (levels[cr], levels[cg], levels[cb])
    grey = round((r + g + b) / 3)
    gi = 0 if grey < 8 else 23 if grey > 238 else (grey - 8) // 10
    grey_rgb = (8 + gi * 10,) * 3

    def dist(c: tuple[int, ...]) -> int:
        return sum((x - y) ** 2 for x, y in zip(c, rgb, strict=True))

    return 232 + gi if dist(grey_rgb) < dist(cube_rgb) else 16 + 36 * cr + 6 * cg + cb


def _colour_cell(top: tuple[int, int, int], bottom: tuple[int, int, int], mode: ColourMode) -> str:
    if mode == "truecolor":
        return f"\x1b[38;2;{top[0]};{top[1]};{top[2]}m\x1b[48;2;{bottom[0]};{bottom[1]};{bottom[2]}m▀"
    return f"\x1b[38;5;{_sgr_256(top)}m\x1b[48;5;{_sgr_256(bottom)}m▀"


def draw_captcha(png: bytes, terminal: Terminal, *, max_columns: int = MAX_COLUMNS) -> Drawing:
    """The captcha drawn for ``terminal``, or no drawing and the reason when it would not be legible."""
    if not terminal.is_tty:
        return Drawing(None, "the output is not a terminal")
    if not terminal.blocks:
        return Drawing(None, "this terminal's character set has no block characters")
    from PIL import Image, ImageFilter, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as img:
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return Drawing(None, "the image could not be read")
    columns = min(rgb.width, max_columns, terminal.columns - 1)
    if columns < 1:
        return Drawing(None, "the terminal is too narrow")
    rows = rgb.height * columns // rgb.width
    if rows < MIN_PIXEL_ROWS:
        needed = -(-MIN_PIXEL_ROWS * rgb.width // rgb.height)
        if rgb.height < MIN_PIXEL_ROWS:
            return Drawing(None, "the image is too small to draw legibly")
        return Drawing(
            None, f"the terminal is {terminal.columns} columns wide; a legible drawing needs {needed + 1} columns"
        )
    if rows > 2 * MAX_ROWS:
        rows = 2 * MAX_ROWS
        columns = round(rgb.width * rows / rgb.height)
    rows += rows % 2
    small = rgb.resize((columns, rows), Image.Resampling.LANCZOS)
    grey = small.convert("L")
    threshold = _otsu(grey.histogram())
    pixels = grey.tobytes()
    ink = [p for p in pixels if p <= threshold]
    paper = [p for p in pixels if p > threshold]
    if not ink or not paper or (sum(paper) / len(paper) - sum(ink) / len(ink)) / 255 < MIN_CONTRAST:
        return Drawing(None, "the image has too little contrast to draw legibly")
    if terminal.colour != "none":
        raw = small.tobytes()
        data = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
        lines = []
        for y in range(0, rows, 2):
            top, bottom = data[y * columns : (y + 1) * columns], data[(y + 1) * columns : (y + 2) * columns]
            lines.append(
                "".join(_colour_cell(t, b, terminal.colour) for t, b in zip(top, bottom, strict=True)) + "\x1b[0m"
            )
        return Drawing("\n".join(lines))
    clean = rgb.convert("L").filter(ImageFilter.MedianFilter(3)).resize((columns, rows), Image.Resampling.LANCZOS)
    threshold = _otsu(clean.histogram())
    dark = [p <= threshold for p in clean.tobytes()]
    share = sum(dark) / len(dark)
    if not INK_RANGE[0] <= share <= INK_RANGE[1]:
        return Drawing(None, "the image does not separate into a code and a background")
    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    lines = [
        "".join(glyphs[dark[y * columns + x], dark[(y + 1) * columns + x]] for x in range(columns)).rstrip()
        for y in range(0, rows, 2)
    ]
    return Drawing("\n".join(lines))
