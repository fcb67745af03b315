"""Checkpoints round-trip with their card; malformed or hostile files give CheckpointError."""

from __future__ import annotations

import os
import pickle
import zipfile

import pytest
import torch

from xai_demo.checkpoints import load_checkpoint, save_checkpoint
from xai_demo.errors import CheckpointError
from xai_demo.models import create_model


def test_round_trip_keeps_weights_spec_and_card(tmp_path) -> None:
    torch.manual_seed(1)
    model = create_model("small_cnn", input_size=28, mean=(0.4,), std=(0.3,), threshold=0.42)
    path = save_checkpoint(tmp_path / "m.pt", model, train_config={"seed": 3}, metrics={"test": {"auc": 0.9}},
                           provenance={"dataset": "x"})
    loaded = load_checkpoint(path)
    assert loaded.spec == model.spec
    assert loaded.train_config == {"seed": 3} and loaded.metrics["test"]["auc"] == 0.9
    x = torch.rand(3, 1, 28, 28)
    assert torch.equal(loaded.model(x), model(x))
    assert not loaded.model.training
    assert loaded.card()["spec"]["threshold"] == 0.42


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/xai_demo_pwned",))


def test_pickled_code_is_refused_not_run(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "xai_demo.checkpoint", "payload": Evil()}, path)
    marker = "/tmp/xai_demo_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    with pytest.raises(CheckpointError, match="not a loadable"):
        load_checkpoint(path)
    assert not os.path.exists(marker)


def test_plain_pickle_is_refused(tmp_path) -> None:
    path = tmp_path / "plain.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("content", [b"", b"junk", b"garbage", b"PK\x03\x04broken zip"])
def test_garbage_files(tmp_path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_truncated_checkpoint(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_foreign_torch_files_and_mismatched_weights(tmp_path) -> None:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not an xai_demo checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    payload = torch.load(path, weights_only=True)
    payload["spec"]["input_size"] = 128  # a deeper network than the weights describe
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(path)
    payload["spec"]["arch"] = "vanished_net"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="not registered"):
        load_checkpoint(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="xai-demo train"):
        load_checkpoint(tmp_path / "absent.pt")
    with zipfile.ZipFile(tmp_path / "z.pt", "w") as z:
        z.writestr("a", "b")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "z.pt")


# ----------------------------------------------------------------------------- hostile payloads, field by field


def _valid_payload(tmp_path) -> dict:
    model = create_model("small_cnn", input_size=28, width=8)
    cfg = {"dataset": "pneumoniamnist", "size": 28, "epochs": 2, "seed": 0, "artefact": "laterality_marker",
           "artefact_options": {"text": "L"}, "confound": 0.9, "confound_negative": 0.0}
    metrics = {"test": {"n": 10, "accuracy": 0.5, "auc": 0.5, "sensitivity": 0.5, "specificity": 0.5,
                        "confusion": [[3, 2], [3, 2]]}, "train_seconds": 1.0, "machine": "x", "history": []}
    provenance = {"dataset": "pneumoniamnist", "splits": {"train": {"name": "t", "n": 5, "class_counts": [2, 3]}}}
    path = save_checkpoint(tmp_path / "valid.pt", model, train_config=cfg, metrics=metrics, provenance=provenance)
    return torch.load(path, weights_only=True)


def _path(dotted: str) -> list[str]:
    """``"spec.arch"`` -> ["spec", "arch"]; a weight name after ``state_dict:`` keeps its dots."""
    if dotted.startswith("state_dict:"):
        return ["state_dict", dotted.split(":", 1)[1]]
    return dotted.split(".")


def _set(payload: dict, dotted: str, value) -> None:
    *parents, last = _path(dotted)
    target = payload
    for key in parents:
        target = target[key]
    target[last] = value


def _drop(payload: dict, dotted: str) -> None:
    *parents, last = _path(dotted)
    target = payload
    for key in parents:
        target = target[key]
    del target[last]


_shared = ["x" * 100] * 1000
DEEP: dict = {}
_node = DEEP
for _ in range(20):
    _node["d"] = {}
    _node = _node["d"]
WEIGHT = "features.block1.conv1.weight"

HOSTILE_FIELDS = {  # field set to a hostile value -> words the refusal must contain
    "format": ("xai_demo.other", "not an xai_demo checkpoint"),
    "version": (2, "version 2"),
    "evil": ("extra field", "unexpected field 'evil'"),
    "spec.arch": ("vanished_net", "not registered"),
    "spec.arch ": (5, "spec.arch"),
    "spec.class_names": (["only one"], "spec.class_names"),
    "spec.class_names ": (["a", 3], r"spec.class_names\[1\]"),
    "spec.class_names  ": ([f"c{i}" for i in range(5000)], "spec.class_names"),
    "spec.in_channels": (2, "spec.in_channels"),
    "spec.in_channels ": (True, "spec.in_channels"),
    "spec.input_size": (10**6, "spec.input_size"),
    "spec.input_size ": (28.0, "spec.input_size"),
    "spec.input_size  ": (2**200, "spec.input_size"),
    "spec.mean": ([float("nan")], r"spec.mean\[0\]"),
    "spec.mean ": ([0.5, 0.5, 0.5], "mean and std"),
    "spec.std": ([0.0], r"spec.std\[0\]"),
    "spec.std ": ([], "spec.std"),
    "spec.threshold": (2.0, "spec.threshold"),
    "spec.threshold ": ("0.5", "spec.threshold"),
    "spec.target_layer": ("no.such.layer", "no module called .no.such.layer. .ModelSpec.target_layer"),
    "spec.target_layer ": ("x" * 20_000, "spec.target_layer"),
    "spec.arch_kwargs": ([["width", 100_000]], "width of 'small_cnn' must be a number in"),
    "spec.arch_kwargs ": ([["depth", 3]], "takes no option 'depth'"),
    "spec.arch_kwargs  ": ([["width", "8"]], "width of 'small_cnn' must be a number"),
    "spec.arch_kwargs   ": ([["width"]], r"spec.arch_kwargs\[0\]"),
    "spec.nonsense": (1, "unexpected field 'nonsense'"),
    "state_dict": ([1, 2, 3], "does not match"),
    f"state_dict:{WEIGHT}": (torch.zeros(8, 1, 5, 5), WEIGHT),
    f"state_dict:{WEIGHT} ": (torch.zeros(8, 1, 3, 3, dtype=torch.float64), "float64"),
    f"state_dict:{WEIGHT}  ": (torch.full((8, 1, 3, 3), float("nan")), "NaN or infinite"),
    f"state_dict:{WEIGHT}   ": ([0.0] * 72, WEIGHT),
    "state_dict:extra.weight": (torch.zeros(1), "unexpected"),
    "train_config": ("not a mapping", "checkpoint.train_config"),
    "train_config.epochs": ("ten", "train_config.epochs"),
    "train_config.seed": (-1, "train_config.seed"),
    "train_config.size": (10**9, "train_config.size"),
    "train_config.lr": (float("nan"), "train_config.lr"),
    "train_config.confound": (1.5, "train_config.confound"),
    "train_config.artefact_options": ({"text": [1, 2]}, "train_config.artefact_options.text"),
    "train_config.note": ("x" * 20_000, "train_config.note"),
    "train_config.deep": (DEEP, "nested deeper"),
    "train_config.tensor": (torch.zeros(2), "plain data"),
    "train_config.laughs": ([_shared] * 1000, "more than 100000 values"),
    "metrics.test.auc": ("high", "metrics.test.auc"),
    "metrics.test.confusion": ([[1, 2], [3]], r"metrics.test.confusion\[1\]"),
    "metrics.train_seconds": (-5, "metrics.train_seconds"),
    "metrics.history": ("x", "metrics.history"),
    "provenance.splits.train.n": (-1, "provenance.splits.train.n"),
    "provenance.citation": (5, "provenance.citation"),
}


@pytest.mark.parametrize("field", sorted(HOSTILE_FIELDS))
def test_hostile_field_is_refused_with_its_name(tmp_path, field: str) -> None:
    payload = _valid_payload(tmp_path)
    value, words = HOSTILE_FIELDS[field]
    _set(payload, field.strip(), value)
    path = tmp_path / "hostile.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(path)


@pytest.mark.parametrize("field", ["format", "version", "spec", "state_dict", "spec.arch", "spec.input_size",
                                   f"state_dict:{WEIGHT}"])
def test_missing_field_is_refused(tmp_path, field: str) -> None:
    payload = _valid_payload(tmp_path)
    _drop(payload, field)
    torch.save(payload, tmp_path / "missing.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "missing.pt")


def test_valid_payload_loads_and_its_card_renders(tmp_path) -> None:
    from xai_demo.checkpoints import model_card

    torch.save(_valid_payload(tmp_path), tmp_path / "ok.pt")
    checkpoint = load_checkpoint(tmp_path / "ok.pt")
    assert checkpoint.spec.arch_kwargs == (("width", 8),)
    card = model_card(checkpoint)
    assert "| test | 10 | 50.0% | 0.500 |" in card and "laterality_marker" in card


def test_size_pickle_and_parameter_caps(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xai_demo.checkpoints as ck

    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    monkeypatch.setattr(ck, "MAX_BYTES", path.stat().st_size - 1)
    with pytest.raises(CheckpointError, match="larger than"):
        load_checkpoint(path)
    monkeypatch.undo()
    monkeypatch.setattr(ck, "MAX_PICKLE_BYTES", 100)
    with pytest.raises(CheckpointError, match="pickle larger"):
        load_checkpoint(path)
    monkeypatch.undo()
    monkeypatch.setattr(ck, "MAX_PARAMETERS", 1000)
    with pytest.raises(CheckpointError, match="more than 1,000"):
        load_checkpoint(path)


def test_compressed_and_legacy_files_are_refused(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp_path / "deflated.pt", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    with pytest.raises(CheckpointError, match="compressed"):
        load_checkpoint(tmp_path / "deflated.pt")
    torch.save(torch.load(path, weights_only=True), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="not a zip"):
        load_checkpoint(tmp_path / "legacy.pt")


def test_directory_and_unreadable_files(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path)
    path = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        with pytest.raises(CheckpointError, match="cannot read"):
            load_checkpoint(path)
    finally:
        path.chmod(0o644)


def test_save_replaces_atomically_and_leaves_no_temporary_file(tmp_path) -> None:
    first = save_checkpoint(tmp_path / "m.pt", create_model("small_cnn", input_size=28))
    save_checkpoint(first, create_model("small_cnn", input_size=64))
    assert load_checkpoint(first).spec.input_size == 64
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
