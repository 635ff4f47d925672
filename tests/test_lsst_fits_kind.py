"""detect_kind / open_product tell a BackgroundList file from an exposure by header structure."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from skybkg_adapters import (
    BackgroundLayer,
    BackgroundModel,
    FormatError,
    SkyImage,
    detect_kind,
    open_product,
    write_background,
)


@pytest.mark.parametrize(
    "name",
    [
        "obs_base__calexp.fits",
        "meas_modelfit__calexp.fits",
        "afw__parent.fits",
        "afw__ticketdm26260.fits.fz",
        "afw__exposure-version-1.fits",
    ],
)
def test_real_exposures_are_exposures(realdata, name):
    assert detect_kind(realdata / name) == "exposure"
    assert isinstance(open_product(realdata / name), SkyImage)


def test_background_lists_are_backgrounds(tmp_path):
    path = tmp_path / "bkg.fits"
    layer = BackgroundLayer(np.ones((2, 3), np.float32), (0, 0, 30, 20))
    write_background(path, BackgroundModel((layer, layer)))
    assert detect_kind(path) == "background"
    product = open_product(path)
    assert isinstance(product, BackgroundModel)
    assert len(product.layers) == 2


def test_neither_is_a_format_error(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column("x", "J", array=np.arange(3))])
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(tmp_path / "cat.fits")
    with pytest.raises(FormatError, match="neither an afw exposure .* nor a BackgroundList"):
        detect_kind(tmp_path / "cat.fits")
