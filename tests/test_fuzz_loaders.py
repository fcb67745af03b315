"""Bounded property-based fuzzing of the two loaders of untrusted files (see xai_demo.testing.fuzz): a few
hundred mutated and random inputs each; only ImageError / CheckpointError may escape, no call may hang, and
the process memory does not balloon. ``benchmarks/fuzz_loaders.py`` runs the same properties for longer."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from xai_demo.testing.fuzz import (  # noqa: E402
    check_checkpoint,
    check_image,
    checkpoint_inputs,
    image_inputs,
    time_limit,
)

HANG_SECONDS = 30  # a hang detector, far above any real call (the benchmark reports the real times)
MEMORY_GROWTH_KIB = 1_500_000  # peak RSS may not grow by more than this over a whole run
BOUNDED = settings(max_examples=500, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_load_image_lets_only_image_errors_escape() -> None:
    outcomes: dict[str, int] = {}
    before = _peak_rss_kib()

    @BOUNDED
    @given(image_inputs())
    def property_(data: bytes) -> None:
        with time_limit(HANG_SECONDS):
            outcome = check_image(data)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    property_()
    assert _peak_rss_kib() - before < MEMORY_GROWTH_KIB
    assert outcomes.get("decoded") and outcomes.get("refused"), outcomes  # both sides of the property ran


def test_load_checkpoint_lets_only_checkpoint_errors_escape(tmp_path: Path) -> None:
    outcomes: dict[str, int] = {}
    before = _peak_rss_kib()

    @BOUNDED
    @given(checkpoint_inputs())
    def property_(data: bytes) -> None:
        with time_limit(HANG_SECONDS):
            outcome = check_checkpoint(data, tmp_path)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    property_()
    assert _peak_rss_kib() - before < MEMORY_GROWTH_KIB
    assert outcomes.get("loaded") and outcomes.get("refused"), outcomes


# ----------------------------------------------------------------------------- escapes the long run found, kept


def test_png_with_a_truncated_header_chunk_is_an_image_error() -> None:
    import io

    from PIL import Image

    from xai_demo.errors import ImageError
    from xai_demo.images import load_image

    buf = io.BytesIO()
    Image.new("L", (4, 4)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[8:12] = (5).to_bytes(4, "big")  # IHDR declares 5 bytes instead of 13: Pillow raised ValueError
    with pytest.raises(ImageError, match="could not be opened"):
        load_image(bytes(data))


def test_checkpoint_whose_pickle_names_a_bad_storage_id_is_a_checkpoint_error(tmp_path: Path) -> None:
    import io
    import zipfile

    from xai_demo.checkpoints import load_checkpoint
    from xai_demo.errors import CheckpointError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02K\x01Q.")  # persistent id 1, not a tuple: torch asserted
        z.writestr("archive/version", b"3\n")
        z.writestr("archive/byteorder", b"little")
    (tmp_path / "bad_id.pt").write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match="not a loadable"):
        load_checkpoint(tmp_path / "bad_id.pt")
