"""Make the app's icons for the web app manifest (issue 21 item 6): the favicon's house, white on
GOV.UK blue, as PNGs. "any" icons fill a rounded square; the maskable one fills the whole square
and keeps the house inside the middle 60 %, the safe zone every launcher's mask leaves visible.

    .venv/bin/python assets/icons.py   # writes static/icons/*.png (committed)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE = (29, 112, 184), (255, 255, 255)
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"


def house(draw: ImageDraw.ImageDraw, left: float, top: float, size: float) -> None:
    """The favicon's house (drawn on a 32-unit grid from 6,8 to 26,26) in a box `size` wide."""

    def at(x: float, y: float) -> tuple[float, float]:
        return (left + (x - 6) / 20 * size, top + (y - 8) / 18 * size * 0.9)

    draw.polygon([at(6, 17), at(16, 8), at(26, 17), at(26, 26), at(6, 26)], fill=WHITE)
    draw.rectangle([at(13, 20), at(19, 26)], fill=BLUE)


def icon(size: int, maskable: bool) -> Image.Image:
    scale = 4  # drawn large and shrunk, for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=BLUE)
        inner = big * 0.5
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big // 8, fill=BLUE)
        inner = big * 0.64
    house(draw, (big - inner) / 2, (big - inner * 0.9) / 2, inner)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"heat-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "heat-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
