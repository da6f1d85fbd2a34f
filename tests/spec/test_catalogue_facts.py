"""The catalogue, parsed afresh from its file, says what the API's page (the seed) and README say.

Read by hand from the seed's model matrix and request-body notes, independently of the
catalogue: which frames each model takes, aspect ratios, camera moves, lengths, limits.
(`catalogue.load()` is read once per process; parsing afresh tests the parser too.)
"""

from __future__ import annotations

import pytest

from runner.spec import catalogue

HAILUO_01 = ("T2V-01", "T2V-01-Director", "I2V-01", "I2V-01-live", "I2V-01-Director", "S2V-01")
VEO = ("Veo-3.1", "Veo-3.1-Fast", "Veo-3.1-S2V", "Veo-3.1-S2V-Fast")
# model: (first frame, end frame, references (min, max), aspectRatio, default option)
SEED_MATRIX: dict[str, tuple[str, bool, tuple[int, int], bool, str | None]] = {
    "T2V-01": ("none", False, (0, 0), False, None),
    "T2V-01-Director": ("none", False, (0, 0), False, None),
    "T2V-2.3": ("none", False, (0, 0), False, "768p-6sec"),
    "I2V-01": ("required", False, (0, 0), False, None),
    "I2V-01-live": ("required", False, (0, 0), False, None),
    "I2V-01-Director": ("required", False, (0, 0), False, None),
    "I2V-2.3": ("required", False, (0, 0), False, "768p-6sec"),
    "I2V-2.3-Fast": ("required", False, (0, 0), False, "768p-6sec"),
    "S2V-01": ("none", False, (1, 1), False, None),
    "02": ("optional", True, (0, 0), False, "768p-6sec"),
    "Sora-2": ("optional", False, (0, 0), True, "720p-4sec"),
    "Veo-3.1": ("optional", True, (0, 0), True, "veo-720p-8sec"),
    "Veo-3.1-Fast": ("optional", True, (0, 0), True, "veo-720p-8sec"),
    "Veo-3.1-S2V": ("none", False, (1, 14), True, "veo-720p-8sec"),
    "Veo-3.1-S2V-Fast": ("none", False, (1, 14), True, "veo-720p-8sec"),
}


@pytest.fixture(scope="module")
def fresh() -> catalogue.Catalogue:
    return catalogue.parse(catalogue.raw_catalogue())


def test_every_model_takes_the_frames_the_seed_says(fresh: catalogue.Catalogue) -> None:
    assert set(fresh.models) == set(SEED_MATRIX)
    for name, (first, last, refs, aspect, default) in SEED_MATRIX.items():
        model = fresh.model(name)
        assert model.name == name
        assert (model.first, model.allows_last, model.references) == (first, last, refs), name
        assert (model.aspect_ratio, model.default_option) == (aspect, default), name
        assert model.director is name.endswith("-Director"), name
        assert model.fast is name.endswith("-Fast"), name
        assert model.note and model.kind and model.family_label, "`reel models` shows them"


def test_hailuo_01_is_720p_for_6_seconds_at_25_credits(fresh: catalogue.Catalogue) -> None:
    for name in HAILUO_01:
        model = fresh.model(name)
        assert (model.options, model.credits, model.resolution, model.seconds) == (
            (),
            25,
            "720p",
            6,
        )
        assert model.seconds_for(None) == 6 and model.credits_for(None) == 25
        assert model.family_label == "Hailuo 01" and model.kind


def test_sora_first_frames_have_the_exact_sizes_of_their_aspect_ratio(
    fresh: catalogue.Catalogue,
) -> None:
    assert fresh.model("Sora-2").first_sizes == {"16:9": (1280, 720), "9:16": (720, 1280)}
    assert all(fresh.model(m).first_sizes is None for m in VEO)


def test_the_api_wide_limits(fresh: catalogue.Catalogue) -> None:
    assert fresh.aspect_ratios == ("16:9", "9:16") and fresh.default_aspect_ratio == "16:9"
    assert fresh.default_models == {"text": "T2V-01", "image": "I2V-01", "subject": "S2V-01"}
    assert len(fresh.camera_moves) == 15 and "Tracking shot" in fresh.camera_moves
    assert fresh.max_camera_moves == 3
    assert (fresh.max_prompt_chars, fresh.max_reply_chars) == (2000, 1024)
    assert fresh.max_jobs_range == (1, 10) and fresh.takes_range == (1, 10)
    assert fresh.image_warn_bytes == 5_000_000
    assert fresh.last_needs_first is True
