"""skybkg_adapters.identity and sources.file_names: which product a file is, and pairs of them."""

from __future__ import annotations

import pytest
from astropy.io.fits import Header

from skybkg_adapters import (
    BackgroundLayer,
    BackgroundModel,
    ProductIdentity,
    Provenance,
    SkyImage,
    background_stem,
    identify,
    match_background,
    match_data_ids,
    parse_file_name,
    product_label,
)
from skybkg_adapters.detectors import detector_full_name, detector_number

RUN = "2_2i_runs_DP0_2"


@pytest.mark.parametrize(
    ("path", "dataset_type", "data_id", "instrument"),
    [
        (
            f"/r/2.2i/runs/DP0.2/calexp/i/i_sim_1.4/512055/"
            f"calexp_LSSTCam-imSim_i_i_sim_1.4_512055_R20_S10_{RUN}.fits",
            "calexp",
            {"visit": 512055, "detector": 75},
            "LSSTCam-imSim",
        ),
        (
            f"calexpBackground_LSSTCam-imSim_i_i_sim_1_4_512055_R20_S02_{RUN}.fits",
            "calexpBackground",
            {"visit": 512055, "detector": 74},
            "LSSTCam-imSim",
        ),
        (
            f"file:///r/deepCoadd_calexp_background/4226/17/r/"
            f"deepCoadd_calexp_background_4226_17_r_DC2_{RUN}.fits",
            "deepCoadd_calexp_background",
            {"tract": 4226, "patch": 17, "band": "r"},
            None,
        ),
        (
            "visit_image_LSSTComCam_r_r_03_2024112600180_R22_S11_LSSTComCam_runs_DRP.fits.fz",
            "visit_image",
            {"visit": 2024112600180, "detector": 4},
            "LSSTComCam",
        ),
        ("/d/calexp/calexp_512055_75.fits", "calexp", {}, None),  # a name of its own
        ("/d/myType/myType_1_2.fits", "myType", {}, None),  # the datastore's type folder
    ],
)
def test_file_names_give_dataset_type_and_data_id(path, dataset_type, data_id, instrument):
    named = parse_file_name(path)
    assert named.dataset_type == dataset_type
    assert dict(named.data_id) == data_id
    assert named.instrument == instrument


def test_a_name_with_no_known_type_says_nothing():
    assert parse_file_name("/d/image.fits") is None
    assert parse_file_name("/d/sky_512055_75.fits") is None


def test_detector_numbers_and_names_are_inverse():
    for number in (0, 74, 75, 94, 188):
        assert detector_number("LSSTCam-imSim", detector_full_name("LSSTCam-imSim", number)) == (
            number
        )
    assert detector_number("LSSTComCam", "R22_S11") == 4
    assert detector_number("HSC", "R22_S11") is None


def test_labels_keep_the_identifying_keys():
    assert product_label(
        "calexp", {"instrument": "LSSTCam-imSim", "visit": 512055, "detector": 75}
    ) == ("calexp_512055_75")
    assert product_label(
        "deepCoadd", {"tract": 4226, "patch": 17, "band": "r", "skymap": "DC2"}
    ) == ("deepCoadd_4226_17_r")
    assert [
        background_stem(t) for t in ("calexpBackground", "deep_coadd_background", "calexp")
    ] == [
        "calexp",
        "deep_coadd",
        None,
    ]


def _calexp(cards, uri=None):
    header = Header()
    for key, value in cards.items():
        header[key] = value
    return SkyImage([[0.0]], metadata=header, provenance=Provenance(source=uri or "x", uri=uri))


def test_header_cards_win_over_the_name_and_provenance_over_both():
    name = f"/d/calexp_LSSTCam-imSim_i_i_sim_1.4_512055_R20_S02_{RUN}.fits"
    cards = {"INSTRUME": "LSSTCam-imSim", "VISIT": 512055, "DETNAME": "R20_S10"}
    identity = identify(_calexp(cards, name))
    assert identity.key == {"visit": 512055, "detector": 75}  # DETNAME over the renamed file
    assert identity.evidence == ("header", "file name")
    fetched = identity.with_provenance("calexp", {"visit": 512055, "detector": 76})
    assert fetched.key == {"visit": 512055, "detector": 76}
    assert fetched.evidence[0] == "provenance"
    assert ProductIdentity.from_dict(fetched.to_dict()) == fetched


def test_a_background_list_file_is_known_by_its_name_only():
    model = BackgroundModel(
        (BackgroundLayer([[1.0]], (0, 0, 4, 4)),),
        provenance=Provenance(
            source="x",
            uri=f"/d/calexpBackground_LSSTCam-imSim_i_i_sim_1.4_512055_R20_S10_{RUN}.fits",
        ),
    )
    identity = identify(model)
    assert (identity.dataset_type, identity.key, identity.evidence) == (
        "calexpBackground",
        {"visit": 512055, "detector": 75},
        ("file name",),
    )


@pytest.mark.parametrize(
    ("a", "b", "verdict", "reason"),
    [
        (
            ProductIdentity("calexp", {"visit": 1, "detector": 75}),
            ProductIdentity("calexpBackground", {"visit": 1, "detector": 74}),
            "different",
            "detector=75 vs detector=74",
        ),
        (
            ProductIdentity("calexp", {"visit": 1, "detector": 75}),
            ProductIdentity("calexpBackground", {"visit": 1, "detector": 75}),
            "same",
            "same data id visit=1, detector=75",
        ),
        (
            ProductIdentity("calexp", {"visit": 1, "detector": 75}, "LSSTCam-imSim"),
            ProductIdentity("calexpBackground", name_rest="1_R20_S10"),
            "same",
            "the file name names visit=1, detector=75",
        ),
        (
            ProductIdentity("calexp", {"visit": 1, "detector": 75}),
            ProductIdentity("calexpBackground", name_rest="1_74"),
            "unknown",
            "does not name visit=1, detector=75",
        ),
        (
            ProductIdentity("calexp", name_rest="512055_75"),
            ProductIdentity("calexpBackground", name_rest="512055_75"),
            "same",
            "the file names agree after the type (_512055_75)",
        ),
        (
            ProductIdentity("calexp", name_rest="512055_75"),
            ProductIdentity("calexpBackground", name_rest="512055_74"),
            "unknown",
            "the file names differ after the type",
        ),
        (ProductIdentity(), ProductIdentity(), "unknown", "no data id is known for both"),
        (
            ProductIdentity("calexp", {"visit": 1, "detector": 5}, "LSSTComCam"),
            ProductIdentity("calexpBackground", {"visit": 1, "detector": 5}, "LSSTCam-imSim"),
            "different",
            "instrument LSSTComCam vs LSSTCam-imSim",
        ),
    ],
)
def test_matching_data_ids(a, b, verdict, reason):
    match = match_data_ids(a, b)
    assert match.verdict == verdict
    assert reason in match.reason


def test_a_background_type_must_belong_to_the_image_type():
    coadd = ProductIdentity("deepCoadd", {"tract": 4226, "patch": 17, "band": "r"})
    residual = ProductIdentity("deepCoadd_calexp_background", coadd.data_id)
    match = match_background(coadd, residual)
    assert (match.verdict, match.reason) == (
        "different",
        "a deepCoadd_calexp_background belongs to a deepCoadd_calexp, not to a deepCoadd",
    )
    calexp = ProductIdentity("deepCoadd_calexp", coadd.data_id)
    assert match_background(calexp, residual).verdict == "same"
