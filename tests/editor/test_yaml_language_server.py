"""The schema in the real editor engine: yaml-language-server, driven over its language server
protocol as VS Code drives it. Completion offers the model's options, hover shows prices, a
wrong option and an aspectRatio on a Hailuo model are diagnosed in words a person can act
on, and a valid example shows nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editor.lsp import LanguageServer

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = (ROOT / "schema" / "pipeline.schema.json").as_uri()
_opened = iter(range(1_000_000))


def _open(ls: LanguageServer, tmp_path: Path, body: str) -> tuple[str, list[str]]:
    """Open a document (with the schema modeline) and return its uri and its lines."""
    text = f"# yaml-language-server: $schema={SCHEMA}\n{body}"
    uri = ls.open(tmp_path / f"doc{next(_opened)}.yaml", text)
    return uri, text.splitlines()


def _messages(ls: LanguageServer, uri: str, lines: list[str]) -> list[tuple[str, str]]:
    """(the text under each diagnostic's start, its message)."""
    out = []
    for d in ls.diagnostics(uri):
        start = d["range"]["start"]
        line = lines[start["line"]] if start["line"] < len(lines) else ""
        out.append((line[start["character"] :].split(":")[0], d["message"]))
    return out


def test_a_wrong_option_and_an_aspect_ratio_on_hailuo_read_as_sentences(
    language_server: LanguageServer, tmp_path: Path
) -> None:
    body = """version: 1
shots:
  - id: a
    model: T2V-2.3
    prompt: a lighthouse
    options: 720p-4sec
  - id: b
    model: I2V-01
    aspectRatio: "9:16"
    frames: {first: images/cat.png}
"""
    uri, lines = _open(language_server, tmp_path, body)
    assert _messages(language_server, uri, lines) == [
        ("720p-4sec", "T2V-2.3 takes 768p-6sec, 768p-10sec, 1080p-6sec"),
        (
            "aspectRatio",
            "I2V-01 takes no aspectRatio; only Sora-2, Veo-3.1, Veo-3.1-Fast, Veo-3.1-S2V, "
            "Veo-3.1-S2V-Fast do",
        ),
    ]


def test_rules_reached_through_defaults_and_the_inferred_model(
    language_server: LanguageServer, tmp_path: Path
) -> None:
    body = """version: 1
defaults:
  model: T2V-2.3
shots:
  - id: a
    prompt: a lighthouse
    aspectRatio: "16:9"
  - id: b
    model: T2V-01-Director
    prompt: "[Pan left, Pan rigth] the sea"
  - id: c
    frames: {first: images/cat.png, last: images/cat.png}
"""
    uri, lines = _open(language_server, tmp_path, body)
    assert _messages(language_server, uri, lines) == [
        (
            '"[Pan left, Pan rigth] the sea"',
            "camera moves go in [brackets] of 1 to 3 moves from the list (`reel models` lists "
            "them), brackets balanced",
        ),
        (
            "aspectRatio",
            "T2V-2.3 takes no aspectRatio; only Sora-2, Veo-3.1, Veo-3.1-Fast, Veo-3.1-S2V, "
            "Veo-3.1-S2V-Fast do",
        ),
        ("first", "T2V-2.3 takes no first frame (text model)"),
        ("last", "T2V-2.3 takes no end frame (frames.last)"),
    ]
    # Without defaults, a shot with a first frame and no model is I2V-01.
    uri, lines = _open(
        language_server,
        tmp_path,
        "version: 1\nshots:\n  - id: c\n    frames: {first: a.png, last: b.png}\n",
    )
    assert _messages(language_server, uri, lines) == [
        ("last", "I2V-01 takes no end frame (frames.last)")
    ]


@pytest.mark.parametrize(
    "example",
    ["pipelines/demo.yaml", "examples/defaults.yaml", "examples/hailuo-02-first-last.yaml"],
)
def test_a_valid_example_shows_nothing(
    language_server: LanguageServer, tmp_path: Path, example: str
) -> None:
    text = (ROOT / example).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if "$schema=" not in line) + "\n"
    uri, lines = _open(language_server, tmp_path, body)
    assert _messages(language_server, uri, lines) == []


def test_completion_offers_the_models_options_only(
    language_server: LanguageServer, tmp_path: Path
) -> None:
    body = "version: 1\nshots:\n  - id: a\n    model: I2V-2.3-Fast\n"
    body += "    frames: {first: images/cat.png}\n    options: \n"  # the cursor after `options: `
    uri, lines = _open(language_server, tmp_path, body)
    language_server.diagnostics(uri)
    items = language_server.completion(uri, len(lines) - 1, len(lines[-1]))
    assert sorted(i["label"] for i in items) == ["1080p-6sec", "768p-10sec", "768p-6sec"]


def test_hover_shows_prices_and_the_takes_range(
    language_server: LanguageServer, tmp_path: Path
) -> None:
    body = """version: 1
shots:
  - id: a
    model: Sora-2
    prompt: a lighthouse
    takes: 2
"""
    uri, _ = _open(language_server, tmp_path, body)
    language_server.diagnostics(uri)
    model_help = language_server.hover(uri, 4, 6)
    assert "Sora-2: Sora 2" in model_help and "720p-4sec 40" in model_help, model_help
    takes_help = language_server.hover(uri, 6, 6)
    assert "1-10" in takes_help, takes_help


def _shipped() -> list[Path]:
    return sorted(
        [
            *(ROOT / "tests" / "cases").glob("*/*.yaml"),
            *(ROOT / "examples").glob("*.yaml"),
            ROOT / "pipelines" / "demo.yaml",
        ]
    )


def test_every_shipped_file_gets_reel_validates_verdict(
    language_server: LanguageServer, tmp_path: Path
) -> None:
    """The editor flags exactly the files `reel validate` rejects, apart from what only Reel
    checks (tests/spec/test_schema_agreement.REEL_ONLY), files with their own overlay, and an
    empty file (yaml-language-server checks no empty document; Reel and check-jsonschema do)."""
    from runner.spec import catalogue
    from runner.spec.validate import load_pipeline
    from tests.spec.test_schema_agreement import REEL_ONLY

    expected: dict[str, tuple[str, bool, list[str]]] = {}
    for path in _shipped():
        text = path.read_text(encoding="utf-8")
        if "\ncatalogue:" in text or path.stem == "empty":
            continue  # an overlay's schema is tested in tests/spec/test_overlay.py
        reel_valid = load_pipeline(path)[0] is not None or path.stem in REEL_ONLY
        catalogue.use(None)
        body = "\n".join(line for line in text.splitlines() if "$schema=" not in line) + "\n"
        uri, lines = _open(language_server, tmp_path, body)
        expected[uri] = (path.relative_to(ROOT).as_posix(), reel_valid, lines)
    published = language_server.diagnostics_of(list(expected))
    disagree = [
        (name, [d["message"] for d in published[uri]])
        for uri, (name, reel_valid, _) in expected.items()
        if reel_valid == bool(published[uri])
    ]
    assert disagree == []
    assert len(expected) > 70
