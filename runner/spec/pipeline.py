"""The validated pipeline as typed, immutable records: what every later stage receives.

Records are made only by `runner.spec.validate` from a file that passed every check, with the
defaults already applied, so later stages never see a dict or an unresolved default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Upstream:
    """A frame taken from another shot's video: `{shot: door, frame: last, fit: crop}`."""

    shot: str
    moment: str | float
    """"first", "last" or seconds from the start."""
    fit: str = "crop"
    """Where the model needs an exact size: "crop" (fill, centred) or "pad"."""

    def describe(self) -> str:
        """`door (last frame)`, `door at 4.5 s`."""
        if isinstance(self.moment, str):
            return f"{self.shot} ({self.moment} frame)"
        return f"{self.shot} at {self.moment:g} s"


@dataclass(frozen=True, slots=True)
class Frame:
    """One image: a local file (resolved to an absolute path), an existing fileID, or a frame
    of another shot's video (extracted and uploaded during the run)."""

    source: str
    """As written in the pipeline file (an upstream frame: its description)."""
    path: Path | None = None
    file_id: str | None = None
    upstream: Upstream | None = None

    @property
    def is_local(self) -> bool:
        return self.path is not None


@dataclass(frozen=True, slots=True)
class Frames:
    """A shot's images. API mapping: first → fileID, last → end_frame_fileID,
    references → fileID, fileID2 … fileID14."""

    first: Frame | None = None
    last: Frame | None = None
    references: tuple[Frame, ...] = ()

    def all(self) -> tuple[tuple[str, Frame], ...]:
        """(role, frame) pairs: ("first", …), ("last", …), ("references[0]", …) …"""
        out: list[tuple[str, Frame]] = []
        if self.first is not None:
            out.append(("first", self.first))
        if self.last is not None:
            out.append(("last", self.last))
        out.extend((f"references[{i}]", f) for i, f in enumerate(self.references))
        return tuple(out)

    @property
    def empty(self) -> bool:
        return self.first is None and self.last is None and not self.references


@dataclass(frozen=True, slots=True)
class PromptPart:
    """A piece of a resolved prompt and where it came from, for showing it marked."""

    text: str
    source: str | None = None
    """None for the shot's own words; else `var:NAME`, `look:NAME` or `cast:NAME`."""


@dataclass(frozen=True, slots=True)
class CastMember:
    """A named subject of the storyboard: its description and its reference images."""

    name: str
    description: str
    references: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A matrix combination that a model cannot take: not rendered, listed by `reel plan`."""

    id: str
    """The id the variant would have had."""
    shot: str
    """The matrix shot's own id."""
    reason: str


@dataclass(frozen=True, slots=True)
class Shot:
    """One shot with every default resolved."""

    id: str
    index: int
    """Position in the pipeline file (0-based)."""
    model: str
    options: str | None
    """Always set for models that take options (the catalogue default when omitted)."""
    prompt: str | None
    aspect_ratio: str | None
    """Set (default 16:9) for the models that take it, None for the others."""
    prompt_optimization: bool | None
    frames: Frames
    takes: int
    account: str | None
    """The account the shot is pinned to: its `account:`, or the one its fileIDs name."""
    reply_url: str | None = None
    reply_ref: str | None = None
    look: str | None = None
    """The look appended to (or placed in) the prompt; None for none."""
    cast: tuple[CastMember, ...] = ()
    """Cast members whose references lead `frames.references`, in order."""
    prompt_parts: tuple[PromptPart, ...] = ()
    """The resolved `prompt` in pieces, each with its source (empty without a prompt)."""
    variant_of: str | None = None
    """The matrix shot this variant was expanded from (None: an ordinary shot)."""
    matrix: tuple[tuple[str, str], ...] = ()
    """The variant's matrix axes and values, e.g. (("model", "T2V-2.3"), ("options", ...))."""
    select: int = 1
    """The take that goes into the cut (1-based); choosing one changes no fingerprint."""


@dataclass(frozen=True, slots=True)
class Account:
    """A MiniMax account named in the pipeline, with its job limit."""

    id: str
    max_jobs: int


@dataclass(frozen=True, slots=True)
class CutSettings:
    """The pipeline's `cut:`: the canvas, transitions and music of `<output>/cut.mp4`."""

    size: tuple[int, int] | None = None
    """(width, height); None: the most common aspect ratio among the shots, at 720p."""
    fps: int = 24
    crossfade: float = 0.0
    """Seconds each pair of neighbouring shots overlap; 0 is a hard cut."""
    music: Path | None = None
    """An audio file mixed under the whole cut (absolute)."""
    music_volume: float = 0.3


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A whole validated pipeline file."""

    path: Path
    name: str
    output: Path
    """Absolute output folder."""
    accounts: tuple[Account, ...]
    shots: tuple[Shot, ...]
    cast: tuple[CastMember, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    """Matrix combinations left out because their model cannot take them."""
    catalogue_overlay: str | None = None
    """The catalogue overlay file its models and prices come from (None: Reel's own)."""
    cut: CutSettings = CutSettings()

    @property
    def base_dir(self) -> Path:
        return self.path.parent
