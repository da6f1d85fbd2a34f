"""Draws the small images that the demo, the examples and the test cases use.

    python tools/make_images.py

Deterministic (no randomness), so rerunning it rewrites the same pictures. Each is a gradient
sky with a few shapes and a caption: enough to look like a storyboard frame, small enough
(< 100 KB) to live in git.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
Color = tuple[int, int, int]


def gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / max(h - 1, 1)
        draw.line(
            [(0, y), (w, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    return img


def caption(img: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    size = max(12, h // 18)
    draw.rectangle([0, h - size * 2, w, h], fill=(0, 0, 0))
    draw.text((size // 2, h - size * 2 + size // 3), text, fill=(255, 255, 255), font_size=size)


def sea(img: Image.Image, level: float, color: Color = (20, 60, 110)) -> None:
    w, h = img.size
    ImageDraw.Draw(img).rectangle([0, int(h * level), w, h], fill=color)


def lighthouse(img: Image.Image, x: float, lit: bool) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    cx, base, top = int(w * x), int(h * 0.8), int(h * 0.25)
    half = max(4, w // 40)
    draw.polygon(
        [(cx - half * 2, base), (cx + half * 2, base), (cx + half, top), (cx - half, top)],
        fill=(235, 235, 225),
    )
    for i in range(1, 4):
        y = top + (base - top) * i // 4
        draw.rectangle(
            [cx - half * 2, y - half // 2, cx + half * 2, y + half // 2], fill=(200, 40, 40)
        )
    lamp = (255, 230, 120) if lit else (90, 90, 90)
    draw.rectangle([cx - half, top - half * 2, cx + half, top], fill=lamp)
    if lit:
        draw.polygon(
            [(cx, top - half), (0, top - half * 5), (0, top + half * 3)], fill=(255, 240, 170)
        )
        draw.polygon(
            [(cx, top - half), (w, top - half * 5), (w, top + half * 3)], fill=(255, 240, 170)
        )


def figure(img: Image.Image, x: float, color: Color) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    cx, r = int(w * x), max(6, h // 10)
    draw.ellipse([cx - r, int(h * 0.3) - r, cx + r, int(h * 0.3) + r], fill=(240, 200, 170))
    draw.rounded_rectangle(
        [cx - r * 2, int(h * 0.3) + r, cx + r * 2, int(h * 0.95)], radius=r, fill=color
    )


def boat(img: Image.Image) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    draw.polygon(
        [(w * 0.2, h * 0.6), (w * 0.8, h * 0.6), (w * 0.7, h * 0.75), (w * 0.3, h * 0.75)],
        fill=(120, 70, 30),
    )
    draw.line([(w * 0.5, h * 0.6), (w * 0.5, h * 0.2)], fill=(80, 50, 20), width=max(2, w // 80))
    draw.polygon(
        [(w * 0.52, h * 0.22), (w * 0.75, h * 0.55), (w * 0.52, h * 0.55)], fill=(245, 245, 240)
    )


def stairs(img: Image.Image) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    for i in range(12):
        y = h - (i + 1) * h // 13
        x = w * 0.2 + i * w * 0.05
        draw.rectangle([x, y, x + w * 0.25, y + h // 26], fill=(170 - i * 8, 150 - i * 8, 120))


def frame(
    size: tuple[int, int],
    top: Color,
    bottom: Color,
    text: str,
    *paint: Callable[[Image.Image], None],
) -> Image.Image:
    img = gradient(size, top, bottom)
    for p in paint:
        p(img)
    caption(img, text)
    return img


DAWN, DUSK, NIGHT = (
    ((250, 170, 110), (120, 170, 220)),
    ((60, 40, 90), (240, 120, 80)),
    ((10, 15, 40), (40, 50, 90)),
)


def pictures() -> dict[str, Image.Image]:
    """Every picture by its path relative to the repository."""
    return {
        "pipelines/images/coast-dawn.jpg": frame(
            (1280, 720),
            *DAWN,
            "coast at dawn",
            lambda i: sea(i, 0.7),
            lambda i: lighthouse(i, 0.7, lit=False),
        ),
        "pipelines/images/stairs.jpg": frame(
            (640, 360), (60, 50, 40), (20, 15, 10), "spiral stairs", stairs
        ),
        "pipelines/images/lamp-off.png": frame(
            (768, 432),
            *NIGHT,
            "lamp off",
            lambda i: sea(i, 0.8),
            lambda i: lighthouse(i, 0.5, lit=False),
        ),
        "pipelines/images/lamp-on.png": frame(
            (768, 432),
            *NIGHT,
            "lamp on",
            lambda i: sea(i, 0.8),
            lambda i: lighthouse(i, 0.5, lit=True),
        ),
        "pipelines/images/keeper.png": frame(
            (432, 540),
            (90, 110, 130),
            (40, 50, 60),
            "keeper",
            lambda i: figure(i, 0.5, (30, 50, 120)),
        ),
        "pipelines/images/boat.png": frame((512, 512), *DAWN, "boat", lambda i: sea(i, 0.65), boat),
        "pipelines/images/harbour.webp": frame(
            (640, 360), *DUSK, "harbour at dusk", lambda i: sea(i, 0.6, (30, 40, 80)), boat
        ),
        "examples/images/portrait-720x1280.jpg": frame(
            (720, 1280), *DUSK, "portrait", lambda i: figure(i, 0.5, (150, 30, 60))
        ),
        "examples/images/landscape-1280x720.jpg": frame(
            (1280, 720), *DAWN, "landscape", lambda i: sea(i, 0.7), boat
        ),
        "examples/images/door-closed.png": frame(
            (640, 360), (80, 60, 50), (30, 20, 15), "door closed"
        ),
        "examples/images/door-open.png": frame(
            (640, 360), (250, 240, 200), (120, 110, 90), "door open"
        ),
        "examples/images/landing.png": frame(
            (640, 360),
            (200, 180, 150),
            (90, 70, 50),
            "landing",
            lambda i: figure(i, 0.7, (60, 40, 30)),
        ),
        "examples/images/cat.png": frame(
            (400, 400),
            (200, 220, 240),
            (120, 150, 190),
            "cat",
            lambda i: figure(i, 0.5, (90, 90, 90)),
        ),
        "examples/images/hat.jpg": frame(
            (400, 400),
            (240, 220, 200),
            (180, 150, 120),
            "hat",
            lambda i: figure(i, 0.5, (20, 20, 20)),
        ),
        "examples/images/street.webp": frame(
            (640, 360), *DUSK, "street at dusk", lambda i: figure(i, 0.3, (40, 80, 40))
        ),
        "examples/images/keeper-front.png": frame(
            (400, 400),
            (230, 225, 215),
            (170, 160, 150),
            "keeper, front",
            lambda i: figure(i, 0.5, (30, 50, 90)),
        ),
        "examples/images/keeper-side.png": frame(
            (400, 400),
            (230, 225, 215),
            (170, 160, 150),
            "keeper, side",
            lambda i: figure(i, 0.35, (30, 50, 90)),
        ),
        "tests/cases/images/small.png": frame((64, 36), *DAWN, "s"),
        "tests/cases/images/other.png": frame((64, 36), *NIGHT, "o"),
        "tests/cases/images/photo.jpg": frame((64, 36), *DUSK, "p"),
        "tests/cases/images/landscape.jpg": frame((1280, 720), *DAWN, "1280x720"),
        "tests/cases/images/portrait.jpg": frame((720, 1280), *DUSK, "720x1280"),
        "tests/cases/images/wrong-size.jpg": frame((1024, 576), *DAWN, "1024x576"),
        "tests/cases/images/png-named.jpg": frame((64, 36), *NIGHT, "png"),
    }


def save(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP"}[path.suffix]
    if path.name == "png-named.jpg":
        fmt = "PNG"  # a PNG under a .jpg name: Reel judges content, not names
    options = {"JPEG": {"quality": 80}, "WEBP": {"quality": 80}, "PNG": {"optimize": True}}
    img.save(path, fmt, **options[fmt])


def main() -> None:
    for rel, img in pictures().items():
        path = ROOT / rel
        save(img, path)
        print(f"{rel}: {img.size[0]}x{img.size[1]}, {path.stat().st_size // 1024} KB")
    (ROOT / "tests/cases/images/not-an-image.png").write_text("this is text, not a PNG\n")


if __name__ == "__main__":
    main()
