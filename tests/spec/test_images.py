"""Local images are judged by their content, never by their name, and never raise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from runner.spec.images import ImageInfo, ImageProblem, inspect


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [
        ("PNG", "a.jpg", "image/png"),
        ("JPEG", "a.png", "image/jpeg"),
        ("WEBP", "a.bin", "image/jpeg"),
    ],
)
def test_formats_by_content(tmp_path: Path, fmt: str, name: str, content_type: str) -> None:
    path = tmp_path / name
    Image.new("RGB", (32, 18), "red").save(path, fmt)
    info = inspect(path)
    assert info == ImageInfo(format=fmt, width=32, height=18, bytes=path.stat().st_size)
    assert info.content_type == content_type


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not a PNG, JPEG or WebP image (its content is a GIF)"),
        (b"", "is not a PNG, JPEG or WebP image (its content is empty)"),
        (b"hello world\n", "is not a PNG, JPEG or WebP image (its content is text)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "is not a PNG, JPEG or WebP image (its content is not an image Pillow can read)",
        ),
        (b"%PDF-1.4\n", "is not a PNG, JPEG or WebP image (its content is a PDF)"),
    ],
)
def test_not_an_accepted_image(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "x.png"
    if content is None:
        Image.new("RGB", (8, 8)).save(path, "GIF")
    else:
        path.write_bytes(content)
    assert inspect(path) == ImageProblem(message)


def test_missing_folder_and_fifo(tmp_path: Path) -> None:
    assert inspect(tmp_path / "nope.png") == ImageProblem("no such file")
    assert inspect(tmp_path) == ImageProblem("is a folder, not an image")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert inspect(fifo) == ImageProblem("is not a regular file")
    assert inspect(Path("a\0b.png")) == ImageProblem("is not a usable file name")


def test_an_image_the_api_cannot_take_is_refused_at_validation(tmp_path: Path) -> None:
    from runner.spec.validate import load_pipeline

    big = tmp_path / "huge.png"
    Image.new("RGB", (32, 18), "red").save(big, "PNG")
    with big.open("r+b") as f:
        f.truncate(60_000_000)  # a 60 MB file (sparse): what a huge PNG weighs on disk
    warned = tmp_path / "big.png"
    Image.new("RGB", (32, 18), "blue").save(warned, "PNG")
    with warned.open("r+b") as f:
        f.truncate(6_000_000)
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nshots:\n"
        "  - {id: a, model: I2V-01, prompt: p, frames: {first: huge.png}}\n"
        "  - {id: b, model: I2V-01, prompt: p, frames: {first: big.png}}\n",
        encoding="utf-8",
    )
    pipeline, diagnostics = load_pipeline(path, path.name)
    assert pipeline is None
    found = {(d.line, d.severity, d.rule): d.message for d in diagnostics}
    assert "60.0 MB" in found[(3, "error", "image-size")]
    assert "shrink it" in found[(3, "error", "image-size")]
    assert (4, "warning", "image-size") in found


def test_an_image_that_is_not_one_is_said_where_it_is_written_and_nothing_more(
    tmp_path: Path,
) -> None:
    from runner.spec.validate import load_pipeline

    (tmp_path / "notes.png").write_text("hello world\n", encoding="utf-8")
    Image.new("RGB", (32, 18), "red").save(tmp_path / "ok.png", "PNG")
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nshots:\n"
        "  - {id: a, model: I2V-01, prompt: p, frames: {first: notes.png}}\n"
        "  - id: b\n    model: Veo-3.1-S2V\n    prompt: p\n"
        "    frames: {references: [ok.png, notes.png]}\n",
        encoding="utf-8",
    )
    pipeline, diagnostics = load_pipeline(path, path.name)
    assert pipeline is None
    said = "notes.png: is not a PNG, JPEG or WebP image (its content is text)"
    assert [(d.line, d.column, d.path, d.message) for d in diagnostics] == [
        (3, 55, "shots[0].frames.first", said),
        (7, 35, "shots[1].frames.references[1]", said),
    ]
