"""The login page's verification code: 4 random digits drawn as a PNG with noise lines (reference §4.1, §12.1).

A new code is made for every image request and kept in the portal session (see ``state.PortalState.issue_captcha``);
this module only makes codes and pictures.
"""

from __future__ import annotations

import functools
import io
import secrets

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 100, 36
_COLOURS = ((33, 33, 140), (160, 30, 30), (20, 110, 40), (120, 40, 120), (30, 30, 30))


@functools.cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=24)


def new_code() -> str:
    """Four random digits, e.g. ``"4092"``."""
    return f"{secrets.randbelow(10_000):04d}"


def render_png(code: str) -> bytes:
    """The code as a small PNG: jittered coloured digits on a pale background, crossed by noise lines and dots."""
    rng = secrets.SystemRandom()
    image = Image.new("RGB", (WIDTH, HEIGHT), (238, 243, 236))
    draw = ImageDraw.Draw(image)
    font = _font()
    for index, digit in enumerate(code):
        x = 10 + index * 21 + rng.randint(-2, 2)
        y = 3 + rng.randint(-2, 3)
        draw.text((x, y), digit, font=font, fill=rng.choice(_COLOURS))
    for _ in range(4):
        start = (rng.randint(0, WIDTH), rng.randint(0, HEIGHT))
        end = (rng.randint(0, WIDTH), rng.randint(0, HEIGHT))
        draw.line([start, end], fill=rng.choice(_COLOURS), width=1)
    for _ in range(60):
        draw.point((rng.randint(0, WIDTH - 1), rng.randint(0, HEIGHT - 1)), fill=rng.choice(_COLOURS))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
