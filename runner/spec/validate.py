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

from runner.spec import catalogue, continuity, storyboard
from runner.spec.catalogue import Catalogue
from runner.spec.checks import Finding, ShotChecker, ShotView
from runner.spec.cut_checks import check_cut
from runner.spec.diagnostics import Diagnostic, Severity, has_errors, sort_key
from runner.spec.images import ImageProblem
from runner.spec.keypath import KeyPath, render
from runner.spec.loader import Marks, load_file
from runner.spec.messages import Problem, rule_for, translate
from runner.spec.pipeline import LeftOut, Pipeline
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
        story = view.story
        ref = path[2] if path[:2] == ("frames", "references") and len(path) > 2 else None
        if field_name is not None and field_name in story.where:  # a matrix value
            where = self.marks.locate(story.where[field_name])
        elif isinstance(ref, int) and ref < len(story.ref_origins):
            where = self.marks.locate(story.ref_origins[ref])
            message += " (a reference image of the cast)"
        elif (
            field_name == "prompt"
            and isinstance(problem, Finding)
            and problem.offset is not None
            and story.resolved is not None
            and story.prompt_path is not None
            and story.prompt_path[0] != "defaults"
        ):
            offset = story.resolved.template_offset(problem.offset)
            where = self.marks.locate_in_text(story.prompt_path, offset)
        elif from_defaults and field_name is not None:
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
        if story.variant_of is not None and (model_rule or field_name in story.where):
            message += f" (matrix variant {view.merged.get('id')})"
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
    if frames.get("references") or shot.get("cast"):
        return cat.default_models["subject"]
    if frames.get("first") or frames.get("last"):
        return cat.default_models["image"]
    return cat.default_models["text"]


def _is_model_rule(error: Any) -> bool:
    sp = list(error.schema_path)
    return len(sp) >= 2 and sp[0] == "allOf" and isinstance(sp[1], int) and sp[1] >= 1


def load_pipeline(
    path: Path | str, display: str | None = None, overlay: Path | None = None
) -> tuple[Pipeline | None, list[Diagnostic]]:
    """Validate a pipeline file: (records, its warnings) when valid, else (None, every
    diagnostic), sorted by position. `display` is the file name diagnostics show (default:
    the path as given); `overlay` a catalogue file that replaces the pipeline's `catalogue:`.
    Makes the pipeline's catalogue the one in use (`catalogue.use`). Never raises for a bad
    file."""
    path = Path(path)
    file = display if display is not None else str(path)
    catalogue.use(None)
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
    if not _use_overlay(data, report, path, overlay):
        return None, sorted(report.out, key=sort_key)
    views, story, left_out = _validate(data, report, path.resolve().parent)
    # A matrix shot's variants share its text: a problem in it is reported once.
    found = sorted(dict.fromkeys(report.out), key=sort_key)
    if has_errors(found):
        return None, found
    from runner.spec.build import build_pipeline

    return build_pipeline(path.resolve(), data, views, story, left_out), found


def _whole_number_fields(data: dict[str, Any]) -> list[KeyPath]:
    """Where the pipeline holds a count or a version: whole numbers."""
    paths: list[KeyPath] = [("version",), ("defaults", "takes")]
    accounts = data.get("accounts")
    if isinstance(accounts, dict):
        paths += [("accounts", a, "maxJobs") for a in accounts]
    shots = data.get("shots")
    if isinstance(shots, list):
        paths += [("shots", i, "takes") for i in range(len(shots))]
    return paths


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _whole_numbers(data: dict[str, Any], report: _Reporter) -> None:
    """`version: 1.0`, `takes: 2.0`: JSON Schema takes 2.0 as the integer 2, but a count
    written with a decimal point is a mistake worth a word (and the API wants integers)."""
    for path in _whole_number_fields(data):
        value = _value_at(data, path)
        if isinstance(value, float) and value.is_integer():
            report.add(
                path,
                "error",
                rule_for(path),
                f"must be a whole number: write {int(value)}, not {value}",
            )


def _validate(
    data: dict[str, Any], report: _Reporter, base: Path
) -> tuple[list[ShotView], storyboard.Storyboard, list[LeftOut]]:
    cat = catalogue.load()
    _numeric_models(data, report, cat)
    _whole_numbers(data, report)
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
    story = _storyboard(data, report, checker)
    views: list[ShotView] = []
    left_out: list[LeftOut] = []
    shots = data.get("shots")
    for index, raw in enumerate(shots if isinstance(shots, list) else []):
        shot_views = _shot(index, raw, defaults, cat, story, report, left_out)
        if not shot_views:
            for error in shot_validator.iter_errors(raw):
                for problem in translate(error, None, None, in_shot=True, base=("shots", index)):
                    path = ("shots", index, *problem.path)
                    if isinstance(raw, dict) and problem.path[:1] != ("matrix",):
                        continue  # a matrix shot that expanded to nothing: said why
                    report.add(
                        path,
                        "error",
                        rule_for(path),
                        problem.message,
                        at_key=problem.at_key,
                    )
            continue
        for view in shot_views:
            views.append(view)
            _report_schema(report, view, shapes.errors(view.merged))
            for finding in checker.check(view):
                report.shot(view, finding, model_rule=finding.model_rule)
    _duplicate_ids(report, views)
    for finding in check_cut(data.get("cut"), base):
        report.add(finding.path, finding.severity, finding.rule, finding.message)
    for view, finding in continuity.check(views):
        report.shot(view, finding, model_rule=False)
    return views, story, left_out


def _storyboard(
    data: dict[str, Any], report: _Reporter, checker: ShotChecker
) -> storyboard.Storyboard:
    """The file's vars, looks and cast; the cast's local images are checked here, once."""
    story, issues = storyboard.read(data)
    for issue in issues:
        report.add(issue.path, "error", issue.rule, issue.message, at_key=issue.at_key)
    for member in story.cast.values():
        for k, source in enumerate(member.references):
            if source.startswith("user:"):
                continue  # a fileID: its form is the schema's to check
            info = checker.image(checker.base / source)
            if isinstance(info, ImageProblem):
                where = f" (looked for {checker.base / source})" * (info.message == "no such file")
                report.add(
                    ("cast", member.name, "references", k),
                    "error",
                    "image",
                    f"{source}: {info.message}{where}",
                )
    return story


def _use_overlay(data: dict[str, Any], report: _Reporter, path: Path, overlay: Path | None) -> bool:
    """Load the catalogue overlay (`--catalogue`, else `catalogue:`) and put it in use; False
    (with the overlay's problems reported) when it is not a valid catalogue."""
    named = data.get("catalogue")
    if overlay is None and not (isinstance(named, str) and named):
        return True  # a wrong type is the schema's to report
    from runner.spec.overlay import load_overlay

    if overlay is None:
        assert isinstance(named, str)
        overlay = path.parent / named
        shown = str(Path(report.file).parent / named)
    else:
        shown = str(overlay)
    cat, problems = load_overlay(overlay, shown)
    if cat is None:
        report.out += problems
        report.add(
            ("catalogue",) if named else (),
            "error",
            "catalogue",
            f"the catalogue overlay {shown} is not valid (its problems are listed)",
        )
        return False
    catalogue.use(cat, str(overlay))
    return True


def _numeric_models(data: dict[str, Any], report: _Reporter, cat: Catalogue) -> None:
    """`model: 2` means the model "02", as it does to YAML 1.2 tools (check-jsonschema, the
    editor), which read an unquoted `02` as 2; Reel reads `02` as text, so only a written 2
    gets here. Said as a warning, so the file means the same everywhere."""
    numeric = {int(n): n for n in cat.model_names if n.isdigit()}
    holders: list[tuple[KeyPath, Any]] = [(("defaults",), data.get("defaults"))]
    shots = data.get("shots")
    if isinstance(shots, list):
        holders += [(("shots", i), shot) for i, shot in enumerate(shots)]
    for base, holder in holders:
        if not isinstance(holder, dict):
            continue
        value = holder.get("model")
        if type(value) is int and value in numeric:
            name = numeric[value]
            holder["model"] = name
            report.add(
                (*base, "model"),
                "warning",
                "model",
                f'model {value} is read as {name}; write model: "{name}"',
            )


def _report_schema(report: _Reporter, view: ShotView, errors: list[Any]) -> None:
    seen: set[KeyPath] = set()
    # Model-specific errors first: they say more than the generic enum of every option.
    for error in sorted(errors, key=lambda e: not _is_model_rule(e)):
        for problem in translate(
            error, view.model, view.option, in_shot=True, base=("shots", view.index)
        ):
            if problem.path in seen:
                continue
            if view.story.ref_origins and problem.path[:2] == ("frames", "references"):
                continue  # the cast check says it, naming the cast
            seen.add(problem.path)
            report.shot(view, problem, model_rule=_is_model_rule(error))


def _shot(
    index: int,
    raw: Any,
    defaults: dict[str, Any],
    cat: Catalogue,
    story: storyboard.Storyboard,
    report: _Reporter,
    left_out: list[LeftOut],
) -> list[ShotView]:
    """The views of one shot: one, or one per matrix variant (none for a broken shot)."""
    if not isinstance(raw, dict):
        return []
    expanded = storyboard.expand(index, raw, defaults, story, cat, lambda s: _infer_model(s, cat))
    for issue in expanded.issues:
        defaulted = issue.path[0] == "defaults" and len(issue.path) > 1
        if defaulted and str(issue.path[1]) in report.bad_defaults:
            continue  # the default itself is invalid: reported once, at defaults
        if issue.offset is not None:
            where = report.marks.locate_in_text(issue.path, issue.offset)
            path = render(issue.path)
            report.out.append(
                Diagnostic(report.file, *where, path, "error", issue.rule, issue.message)
            )
        else:
            report.add(issue.path, "error", issue.rule, issue.message, at_key=issue.at_key)
    left_out.extend(expanded.left_out)
    views = []
    for merged, origins, parts in expanded.variants:
        if "model" not in merged:
            merged["model"] = _infer_model(merged, cat)
            origins["model"] = "inferred"
        name = merged.get("model")
        model = cat.models.get(name) if isinstance(name, str) else None
        views.append(
            ShotView(index=index, merged=merged, origins=origins, model=model, story=parts)
        )
    return views


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
