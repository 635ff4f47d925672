"""The uniform container: validation, lazy planes, provenance and named backgrounds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import skybkg_adapters as sa


def _layer(value=10.0, bbox=(0, 0, 40, 30), **kwargs):
    return sa.BackgroundLayer(values=np.full((3, 4), value, np.float32), bbox=bbox, **kwargs)


def test_provenance_round_trips_through_a_dict_and_is_immutable():
    prov = sa.Provenance("butler:/repo", "calexp", {"visit": 512055, "detector": 75}, "/f.fits")
    again = sa.Provenance.from_dict(prov.to_dict())
    assert again == prov
    assert again.to_dict() == {
        "source": "butler:/repo",
        "dataset_type": "calexp",
        "data_id": {"visit": 512055, "detector": 75},
        "uri": "/f.fits",
    }
    with pytest.raises(TypeError):
        prov.data_id["visit"] = 1


def test_layer_normalises_planes_and_enums():
    layer = _layer(interp_style=1, undersample_style=0, approx_style=0)
    assert layer.values.dtype == np.float32
    assert layer.shape == (3, 4)
    assert layer.variance.dtype == np.float32
    assert np.all(layer.variance == 1)
    assert layer.mask.dtype == np.int32
    assert not layer.mask.any()
    assert layer.interp_style is sa.InterpStyle.LINEAR
    assert layer.undersample_style is sa.UndersampleStyle.THROW_EXCEPTION
    assert layer.approx_style is sa.ApproxStyle.CHEBYSHEV


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": np.zeros(5, np.float32)}, "non-empty 2-D"),
        ({"variance": np.ones((2, 2), np.float32)}, "variance plane shape (2, 2)"),
        ({"bbox": (0, 0, 0, 30)}, "positive size"),
    ],
)
def test_layer_rejects_inconsistent_planes(kwargs, message):
    args = {"values": np.ones((3, 4), np.float32), "bbox": (0, 0, 40, 30), **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sa.BackgroundLayer(**args)


def test_layer_rejects_unknown_style_values():
    with pytest.raises(ValueError, match="9"):
        _layer(interp_style=9)


def test_model_needs_layers_of_one_image_size():
    with pytest.raises(ValueError, match="at least one layer"):
        sa.BackgroundModel(())
    with pytest.raises(ValueError, match=r"\(40, 30\).*\(50, 30\)"):
        sa.BackgroundModel((_layer(), _layer(bbox=(0, 0, 50, 30))))
    model = sa.BackgroundModel((_layer(bbox=(5, 7, 40, 30)),))
    assert model.bbox == (5, 7, 40, 30)
    assert model.shape == (30, 40)


def test_model_renders_the_sum_of_its_layers():
    model = sa.BackgroundModel((_layer(10.0), _layer(0.5)))
    image = model.render()
    assert image.shape == (30, 40)
    assert image.dtype == np.float32
    assert np.all(image == np.float32(10.5))
    assert np.all(model.layers[1].render() == np.float32(0.5))


def test_background_map_names_the_subtracted_background():
    model = sa.BackgroundModel((_layer(),))
    named = sa.BackgroundMap({"calexpBackground": model}, subtracted="calexpBackground")
    assert list(named) == ["calexpBackground"]
    assert len(named) == 1
    assert named["calexpBackground"] is model
    assert named.subtracted == "calexpBackground"
    with pytest.raises(KeyError, match="'sky' is not one of \\['calexpBackground'\\]"):
        sa.BackgroundMap({"calexpBackground": model}, subtracted="sky")
    assert len(sa.SkyImage(np.zeros((2, 2))).backgrounds) == 0


def test_sky_image_reads_lazy_planes_once():
    calls = []

    def variance():
        calls.append(1)
        return np.full((3, 4), 2.0, np.float32)

    img = sa.SkyImage(np.zeros((3, 4), np.float32), variance=variance, xy0=(100, 200))
    assert calls == []
    assert img.variance[0, 0] == 2.0
    assert img.variance is img.variance
    assert calls == [1]
    assert img.mask is None
    assert img.bbox == (100, 200, 4, 3)
    assert img.shape == (3, 4)


def test_has_plane_answers_without_reading():
    calls = []
    img = sa.SkyImage(
        np.zeros((3, 4), np.float32),
        variance=lambda: calls.append(1) or np.ones((3, 4), np.float32),
    )
    assert img.has_plane("variance")
    assert not img.has_plane("mask")
    assert calls == []
    with pytest.raises(ValueError, match="'image'"):
        img.has_plane("image")


def test_importing_the_adapters_does_not_import_render():
    code = (
        "import sys, skybkg_adapters as sa; before = 'skybkg_adapters.render' in sys.modules; "
        "print(before, sa.render_layers.__module__, sa.bin_centers(8, 2).tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(" ", 2)[:2] == ["False", "skybkg_adapters.render"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sa.nothing  # noqa: B018


def test_star_import_and_dir_include_the_lazy_names():
    namespace = {}
    exec("from skybkg_adapters import *", namespace)
    assert set(sa.__all__) <= set(namespace)
    # bins [0, 4) and [4, 8): centres start + size/2 - 1/2
    assert namespace["bin_centers"](8, 2).tolist() == [1.5, 5.5]
    assert namespace["render_layers"].__module__ == "skybkg_adapters.render"
    assert set(sa.__all__) <= set(dir(sa))


def test_mask_bits_or_the_named_planes_and_name_unknown_ones():
    img = sa.SkyImage(np.zeros((2, 2)), mask_planes={"BAD": 0, "DETECTED": 5})
    assert img.mask_bits("BAD", "DETECTED") == 0b100001
    with pytest.raises(KeyError, match=r"'EDGE'.*\['BAD', 'DETECTED'\]"):
        img.mask_bits("EDGE")


def test_sky_image_must_be_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        sa.SkyImage(np.zeros(4))
