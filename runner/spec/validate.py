"""Checks a pipeline file and turns it into typed records: `load_pipeline(path)`.

Order: the loader (YAML → JSON values with positions), the generated JSON Schema on the top
level, then on every shot with `defaults:` applied and the default model inferred, then the
checks in code (`runner.spec.checks`), then the records (`runner.spec.build`). Every
problem is reported at once, located at the line and column a user should look at; a rule
broken through a `defaults:` value points at the shot and names the default.

Speed: a 10,000-shot file takes about a second, most of it parsing; shots of the same shape
share one schema run (`runner.spec.shot_schema`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.spec import catalogue
from runner.spec.catalogue import Catalogue
from runner.spec.checks import Finding, ShotChecker, ShotView
from runner.spec.diagnostics import Diagnostic, Severity, has_errors, sort_key
from runner.spec.keypath import KeyPath, render
from runner.spec.loader import Marks, load_file
from runner.spec.messages import Problem, rule_for, translate
from runner.spec.pipeline import Pipeline
from runner.spec.shot_schema import ShapeCache, default_fields, validators


@dataclass(slots=True)
class _Reporter:
    """Collects diagnostics for one file and knows where everything is."""

    file: str
    marks: Marks
    out: list[Diagnostic] = field(default_factory=list)
    bad_defaults: set[str] = field(default_factory=set)
    """`defaults:` fields already reported as invalid: not reported again on every shot."""

    def add(
        self,
        path: KeyPath,
        severity: Severity,
        rule: str,
        message: str,
        *,
        at_key: bool = False,
        at: KeyPath | None = None,
    ) -> None:
        line, col = self.marks.locate(at if at is not None else path, key=at_key)
        self.out.append(Diagnostic(self.file, line, col, render(path), severity, rule, message))

    def shot(self, view: ShotView, problem: Problem | Finding, *, model_rule: bool) -> None:
        base: KeyPath = ("shots", view.index)
        path = problem.path
        at_key = problem.at_key if isinstance(problem, Problem) else False
        severity: Severity = problem.severity if isinstance(problem, Finding) else "error"
        message = problem.message
        field_name = path[0] if path and isinstance(path[0], str) else None
        from_defaults = view.origins.get(field_name or "") == "defaults"
        if from_defaults and field_name in self.bad_defaults:
            return  # reported once, at defaults
        if from_defaults and field_name is not None:
            line = self.marks.locate(("defaults", field_name))[0]
            message += f" (set by defaults.{field_name} on line {line})"
            at: KeyPath = (*base, "id") if self.marks.has((*base, "id")) else base
            where = self.marks.locate(at)
        elif isinstance(problem, Finding) and problem.offset is not None:
            where = self.marks.locate_in_text((*base, *path), problem.offset)
        else:
            where = self.marks.locate((*base, *path), key=at_key)
        if model_rule and view.model is not None:
            message += self._model_origin(view)
        self.out.append(
            Diagnostic(self.file, *where, render((*base, *path)), severity, problem.rule, message)
        )

    def _model_origin(self, view: ShotView) -> str:
        assert view.model is not None
        origin = view.origins.get("model")
        if origin == "defaults":
            line = self.marks.locate(("defaults", "model"))[0]
            return f" (the model comes from defaults.model on line {line})"
        if origin == "inferred":
            return (
                f" (no model given: {view.model.name} is the default for "
                f"{_inferred_for(view.model.kind)}; set `model:` to choose)"
            )
        return ""


def _inferred_for(kind: str) -> str:
    return {
        "text": "a shot without frames",
        "image": "a shot with a first frame",
        "subject": "a shot with references",
    }.get(kind, "this shot")


def _infer_model(shot: dict[str, Any], cat: Catalogue) -> str:
    frames = shot.get("frames") if isinstance(shot.get("frames"), dict) else {}
    assert isinstance(frames, dict)
    if frames.get("references"):
        return cat.default_models["subject"]
    if frames.get("first") or frames.get("last"):
        return cat.default_models["image"]
    return cat.default_models["text"]


def _is_model_rule(error: Any) -> bool:
    sp = list(error.schema_path)
    return len(sp) >= 2 and sp[0] == "allOf" and isinstance(sp[1], int) and sp[1] >= 1


def load_pipeline(
    path: Path | str, display: str | None = None
) -> tuple[Pipeline | None, list[Diagnostic]]:
    """Validate a pipeline file: (records, its warnings) when valid, else (None, every
    diagnostic), sorted by position. `display` is the file name diagnostics show (default:
    the path as given). Never raises for a bad file."""
    path = Path(path)
    file = display if display is not None else str(path)
    loaded = load_file(path, file)
    report = _Reporter(file, loaded.marks, list(loaded.diagnostics))
    data = loaded.data
    if data is None and loaded.diagnostics:
        return None, sorted(report.out, key=sort_key)
    if not isinstance(data, dict):
        report.add(
            (), "error", "pipeline", "a pipeline is a mapping with `version: 1` and `shots:`"
        )
        return None, sorted(report.out, key=sort_key)
    views = _validate(data, report, path.resolve().parent)
    if has_errors(report.out):
        return None, sorted(report.out, key=sort_key)
    from runner.spec.build import build_pipeline

    return build_pipeline(path.resolve(), data, views), sorted(report.out, key=sort_key)


def _validate(data: dict[str, Any], report: _Reporter, base: Path) -> list[ShotView]:
    cat = catalogue.load()
    top, shot_validator = validators()
    bad_defaults = report.bad_defaults
    for error in top.iter_errors(data):
        for problem in translate(error, None, None):
            if problem.path[:1] == ("defaults",) and len(problem.path) > 1:
                bad_defaults.add(str(problem.path[1]))
            report.add(problem.path, "error", problem.rule, problem.message, at_key=problem.at_key)
    raw_defaults = data.get("defaults")
    known = default_fields()
    defaults = (
        {k: v for k, v in raw_defaults.items() if k in known}
        if isinstance(raw_defaults, dict)
        else {}
    )
    accounts = data.get("accounts")
    checker = ShotChecker(cat, base, frozenset(accounts) if isinstance(accounts, dict) else None)
    shapes = ShapeCache(cat)
    views: list[ShotView] = []
    shots = data.get("shots")
    for index, raw in enumerate(shots if isinstance(shots, list) else []):
        view = _shot(index, raw, defaults, cat)
        if view is None:
            for error in shot_validator.iter_errors(raw):
                for problem in translate(error, None, None, in_shot=True, base=("shots", index)):
                    path = ("shots", index, *problem.path)
                    report.add(
                        path,
                        "error",
                        rule_for(path),
                        problem.message,
                        at_key=problem.at_key,
                    )
            continue
        views.append(view)
        _report_schema(report, view, shapes.errors(view.merged))
        for finding in checker.check(view):
            report.shot(view, finding, model_rule=finding.model_rule)
    _duplicate_ids(report, views)
    return views


def _report_schema(report: _Reporter, view: ShotView, errors: list[Any]) -> None:
    seen: set[KeyPath] = set()
    # Model-specific errors first: they say more than the generic enum of every option.
    for error in sorted(errors, key=lambda e: not _is_model_rule(e)):
        for problem in translate(
            error, view.model, view.option, in_shot=True, base=("shots", view.index)
        ):
            if problem.path in seen:
                continue
            seen.add(problem.path)
            report.shot(view, problem, model_rule=_is_model_rule(error))


def _shot(index: int, raw: Any, defaults: dict[str, Any], cat: Catalogue) -> ShotView | None:
    if not isinstance(raw, dict):
        return None
    merged = {**defaults, **raw}
    origins = {k: "defaults" for k in defaults if k not in raw}
    if "model" not in merged:
        merged["model"] = _infer_model(merged, cat)
        origins["model"] = "inferred"
    name = merged.get("model")
    model = cat.models.get(name) if isinstance(name, str) else None
    return ShotView(index=index, merged=merged, origins=origins, model=model)


def _duplicate_ids(report: _Reporter, views: list[ShotView]) -> None:
    # Case-insensitively: `Intro.mp4` and `intro.mp4` are one file on macOS and Windows.
    first: dict[str, tuple[int, str]] = {}
    for view in views:
        shot_id = view.merged.get("id")
        if not isinstance(shot_id, str):
            continue
        seen = first.get(shot_id.casefold())
        if seen is None:
            first[shot_id.casefold()] = (view.index, shot_id)
            continue
        line = report.marks.locate(("shots", seen[0], "id"))[0]
        same = "" if seen[1] == shot_id else f" (as {seen[1]!r}: output names ignore case)"
        report.add(
            ("shots", view.index, "id"),
            "error",
            "duplicate-id",
            f"duplicate shot id {shot_id!r}, first on line {line}{same}; ids name the "
            "output files, so each must be unique",
        )
    _colliding_outputs(report, views)


def _output_names(shot_id: str, takes: object) -> list[str]:
    """The files a shot writes: `<id>.mp4`, or `<id>-take<N>.mp4` with several takes."""
    count = takes if isinstance(takes, int) and not isinstance(takes, bool) else 1
    if not 1 < count <= 10:
        return [f"{shot_id}.mp4"]
    return [f"{shot_id}-take{n}.mp4" for n in range(1, count + 1)]


def _colliding_outputs(report: _Reporter, views: list[ShotView]) -> None:
    # `x` with two takes writes x-take1.mp4, as does a shot `x-take1`: one file for two videos,
    # and every rerun would pay for one of them again.
    owner: dict[str, tuple[int, str]] = {}
    for view in views:
        shot_id = view.merged.get("id")
        if not isinstance(shot_id, str):
            continue
        for name in _output_names(shot_id, view.merged.get("takes")):
            seen = owner.setdefault(name.casefold(), (view.index, shot_id))
            if seen[1].casefold() == shot_id.casefold():
                continue
            line = report.marks.locate(("shots", seen[0], "id"))[0]
            report.add(
                ("shots", view.index, "id"),
                "error",
                "duplicate-output",
                f"shot {shot_id!r} writes {name}, as does shot {seen[1]!r} on line {line}"
                " (output names ignore case); rename one of them",
            )
            break
