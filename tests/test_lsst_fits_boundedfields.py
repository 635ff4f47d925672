"""ChebyshevBoundedField / ProductBoundedField evaluation, checked against numpy's chebval2d."""

from __future__ import annotations

import numpy as np
import pytest
from _afw_archive_writer import Cat, Obj, chebyshev, write_archive_exposure
from numpy.polynomial import chebyshev as numpy_chebyshev

from skybkg_adapters import BBox, UnsupportedComponent
from skybkg_adapters.errors import FormatError
from skybkg_adapters.lsst_fits.archive import (
    ChebyshevBoundedField,
    ProductBoundedField,
    UnsupportedBoundedField,
    read_archive,
    read_bounded_field,
)

CALEXP_BOX = BBox(0, 0, 2048, 4176)
CENTRE = (1023.5, 2087.5)


def _independent(box: BBox, coefficients, x, y):
    """chebval2d on the documented range map (lsst-formats.md 11.4), written separately."""
    xhat = 2.0 * (np.asarray(x, float) - (box.x0 + box.max_x) / 2.0) / box.width
    yhat = 2.0 * (np.asarray(y, float) - (box.y0 + box.max_y) / 2.0) / box.height
    return numpy_chebyshev.chebval2d(xhat, yhat, np.asarray(coefficients).T)


# ApCorrMap entry id: (value at (0, 0), value at the centre, mean) from lsst-formats.md 11.4
CALEXP_FIELDS = {
    253: (0.968731279976585, 0.9580255361944011, 0.9731775871090205),  # base_PsfFlux
    251: (1.1560851668781504, 1.1548968169553966, 1.154303654250235),  # base_GaussianFlux
}


@pytest.mark.parametrize("object_id", sorted(CALEXP_FIELDS))
def test_calexp_chebyshev_fields(afw_calexp, object_id):
    at_origin, at_centre, mean = CALEXP_FIELDS[object_id]
    field = read_bounded_field(read_archive(afw_calexp), object_id)
    assert isinstance(field, ChebyshevBoundedField)
    assert field.bbox == CALEXP_BOX
    assert field.coefficients.shape == (3, 3)
    values = field.evaluate([0.0, CENTRE[0]], [0.0, CENTRE[1]])
    np.testing.assert_allclose(values, [at_origin, at_centre], rtol=1e-15)
    np.testing.assert_allclose(field.mean(), mean, rtol=1e-15)


def test_calexp_fields_agree_with_chebval2d_everywhere(afw_calexp):
    archive = read_archive(afw_calexp)
    rng = np.random.default_rng(42)
    # Inside the box and well outside it (afw extrapolates, no clipping).
    x = rng.uniform(-500, 2600, 500)
    y = rng.uniform(-500, 4700, 500)
    for object_id in archive.ids("ChebyshevBoundedField"):
        field = read_bounded_field(archive, object_id)
        if field.bbox.is_empty:
            continue
        np.testing.assert_allclose(
            field.evaluate(x, y),
            _independent(field.bbox, field.coefficients, x, y),
            rtol=1e-13,
            atol=1e-15,
        )


def test_empty_bbox_field_is_nan(afw_calexp):
    # PhotoCalib 246's own field: 1x1 [1.994...] on the empty box (0,0)-(-1,-1).
    field = read_bounded_field(read_archive(afw_calexp), 247)
    assert field.bbox.is_empty
    assert field.coefficients.tolist() == [[1.9940875054616918]]
    assert np.isnan(field.evaluate(0.0, 0.0))
    assert np.isnan(field.evaluate(*CENTRE))


def test_range_map_is_the_box_grown_by_half_a_pixel():
    field = ChebyshevBoundedField(BBox(10, 20, 4, 8), [[0.0, 1.0]])  # T1(x̂) = x̂
    values = field.evaluate([10.0, 13.0, 9.5, 13.5, 11.5], 0.0)
    np.testing.assert_allclose(values, [-0.75, 0.75, -1.0, 1.0, 0.0], atol=1e-15)


def test_first_index_is_y_order_second_is_x_order():
    box = BBox(0, 0, 100, 50)
    along_x = ChebyshevBoundedField(box, [[0.0, 1.0], [0.0, 0.0]])
    along_y = ChebyshevBoundedField(box, [[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(along_x.evaluate(99.5, 0.0), 1.0)
    np.testing.assert_allclose(along_x.evaluate(49.5, 49.5), 0.0, atol=1e-15)
    np.testing.assert_allclose(along_y.evaluate(0.0, 49.5), 1.0)
    np.testing.assert_allclose(along_y.evaluate(99.5, 24.5), 0.0, atol=1e-15)


def test_non_square_and_high_order_series():
    rng = np.random.default_rng(7)
    box = BBox(-30, 1000, 301, 77)
    coefficients = rng.normal(size=(3, 6))
    field = ChebyshevBoundedField(box, coefficients)
    x, y = np.meshgrid(np.linspace(-40, 290, 13), np.linspace(990, 1090, 9))
    np.testing.assert_allclose(
        field.evaluate(x, y), _independent(box, coefficients, x, y), rtol=1e-13, atol=1e-14
    )


def test_evaluate_broadcasts():
    field = ChebyshevBoundedField(BBox(0, 0, 10, 10), [[1.0, 2.0], [3.0, 4.0]])
    assert field.evaluate(np.arange(5)[None, :], np.arange(3)[:, None]).shape == (3, 5)
    assert field.evaluate(1.0, 2.0).shape == ()
    assert field.evaluate([1.0, 2.0], 3.0).dtype == np.float64


def test_mean_of_known_series():
    box = BBox(0, 0, 10, 10)
    # T0 = 1 has mean 1; T1 averages 0; T2(t) = 2t² - 1 averages -1/3.
    assert ChebyshevBoundedField(box, [[2.0]]).mean() == 2.0
    assert ChebyshevBoundedField(box, [[0.0, 5.0]]).mean() == 0.0
    np.testing.assert_allclose(ChebyshevBoundedField(box, [[0.0, 0.0, 1.0]]).mean(), -1 / 3)
    np.testing.assert_allclose(ChebyshevBoundedField(box, [[0.0], [0.0], [3.0]]).mean(), -1.0)


def test_coefficients_are_validated_and_frozen():
    with pytest.raises(ValueError, match="non-empty 2-D array"):
        ChebyshevBoundedField(BBox(0, 0, 1, 1), [1.0, 2.0])
    field = ChebyshevBoundedField(BBox(0, 0, 1, 1), [[1.0]])
    with pytest.raises(ValueError, match="read-only"):
        field.coefficients[0, 0] = 2.0


def _product_archive(tmp_path, second_box=(0, 0, 99, 49)):
    return read_archive(
        write_archive_exposure(
            tmp_path / "product.fits",
            [
                chebyshev(2, [[2.0, 0.5]]),
                chebyshev(3, [[1.0], [0.25]], bbox=second_box),
                Obj(1, "ProductBoundedField", [Cat([{"id": 2}, {"id": 3}])], "lsst.afw.math"),
            ],
        )
    )


def test_product_field(tmp_path):
    archive = _product_archive(tmp_path)
    product = read_bounded_field(archive, 1)
    assert isinstance(product, ProductBoundedField)
    assert product.bbox == BBox(0, 0, 100, 50)
    first, second = (read_bounded_field(archive, i) for i in (2, 3))
    x, y = np.meshgrid(np.linspace(0, 99, 7), np.linspace(0, 49, 5))
    np.testing.assert_allclose(
        product.evaluate(x, y), first.evaluate(x, y) * second.evaluate(x, y), rtol=1e-15
    )
    np.testing.assert_allclose(product.evaluate(99.5, 49.5), 2.5 * 1.25)


def test_product_containing_itself(tmp_path):
    path = write_archive_exposure(
        tmp_path / "loop.fits",
        [
            chebyshev(2, [[1.0]]),
            Obj(1, "ProductBoundedField", [Cat([{"id": 2}, {"id": 3}])]),
            Obj(3, "ProductBoundedField", [Cat([{"id": 1}])]),
        ],
    )
    with pytest.raises(FormatError, match="ProductBoundedField 1 contains itself"):
        read_bounded_field(read_archive(path), 1)


def test_product_factors_must_share_a_box(tmp_path):
    with pytest.raises(FormatError, match="multiplies fields on different boxes"):
        read_bounded_field(_product_archive(tmp_path, second_box=(0, 0, 9, 9)), 1)


@pytest.mark.parametrize(
    "name", ["PixelAreaBoundedField", "TransformBoundedField", "SplineBoundedField"]
)
def test_fields_needing_ast_read_but_do_not_evaluate(tmp_path, name):
    row = {"bbox_min_x": 0, "bbox_min_y": 0, "bbox_max_x": 9, "bbox_max_y": 19, "scaling": 1.0}
    path = write_archive_exposure(tmp_path / "ast.fits", [Obj(5, name, [Cat([row])])])
    field = read_bounded_field(read_archive(path), 5)
    assert isinstance(field, UnsupportedBoundedField)
    assert field.bbox == BBox(0, 0, 10, 20)
    with pytest.raises(
        UnsupportedComponent, match=f"archive object 5 \\({name}\\) is not supported"
    ) as info:
        field.evaluate(0.0, 0.0)
    assert info.value.path == str(path)
    if name != "SplineBoundedField":
        assert "needs AST" in str(info.value)


def test_references_that_are_not_fields(afw_calexp, tmp_path):
    archive = read_archive(afw_calexp)
    with pytest.raises(FormatError, match="archive object 3 is a 'Detector', not a BoundedField"):
        read_bounded_field(archive, 3)
    with pytest.raises(FormatError, match="null"):
        read_bounded_field(archive, 0)
    bad = write_archive_exposure(
        tmp_path / "bad.fits",
        [
            Obj(
                1,
                "ChebyshevBoundedField",
                [
                    Cat(
                        [
                            {
                                "order_x": 1,
                                "bbox_min_x": 0,
                                "bbox_min_y": 0,
                                "bbox_max_x": 9,
                                "bbox_max_y": 9,
                                "coefficients": np.array([1.0, 2.0, 3.0]),
                            }
                        ]
                    )
                ],
            )
        ],
    )
    with pytest.raises(FormatError, match="order_x = 1 but 3 coefficients") as info:
        read_bounded_field(read_archive(bad), 1)
    assert info.value.key == "coefficients"
