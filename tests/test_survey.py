"""glue_skybkg.cli.survey: per-detector statistics on dask equal background_stats of the renders."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from astropy.table import Table

from glue_skybkg.analysis import background_stats
from glue_skybkg.cli.survey import (
    STAT_COLUMNS,
    add_command,
    detector_stats,
    expand_data_ids,
    run,
    run_survey,
)
from skybkg_adapters import (
    ApproxStyle,
    BackgroundLayer,
    BackgroundModel,
    SkyImage,
    read_background,
    write_background,
    write_exposure,
)

TEMPLATE = "{dataset_type}_{visit}_{detector}.fits"
VISITS = (512055, 512056)
DETECTORS = (74, 75, 76)


def small_background(visit: int, detector: int) -> BackgroundModel:
    rng = np.random.default_rng(visit * 1000 + detector)
    yy, xx = np.mgrid[0:4, 0:5] / 4.0
    akima = BackgroundLayer(
        values=900 + 10 * detector + 20 * xx + 7 * yy + rng.normal(0, 1, xx.shape),
        bbox=(0, 0, 50, 44),
    )
    chebyshev = BackgroundLayer(
        values=3 + rng.normal(0, 0.1, xx.shape),
        bbox=(0, 0, 50, 44),
        approx_style=ApproxStyle.CHEBYSHEV,
        approx_order_x=1,
        approx_order_y=1,
    )
    return BackgroundModel((akima, chebyshev))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("survey")
    for visit in VISITS:
        for detector in DETECTORS:
            write_background(
                root
                / TEMPLATE.format(dataset_type="calexpBackground", visit=visit, detector=detector),
                small_background(visit, detector),
            )
    image = np.random.default_rng(1).normal(0, 5, (44, 50)).astype(np.float32)
    image[3, 4] = np.nan
    write_exposure(
        root / TEMPLATE.format(dataset_type="calexp", visit=VISITS[0], detector=74),
        SkyImage(image, np.zeros(image.shape, np.int32), np.ones_like(image)),
    )
    return root


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def expected_row(folder, visit, detector):
    path = folder / TEMPLATE.format(dataset_type="calexpBackground", visit=visit, detector=detector)
    return background_stats(read_background(path).render()).as_dict()


def test_survey_of_two_visits_equals_background_stats_of_each_render(folder, client, tmp_path):
    ids = expand_data_ids(VISITS, DETECTORS)
    out = tmp_path / "survey.ecsv"
    table = run_survey(
        str(folder), "calexpBackground", ids, client, template=TEMPLATE, out=out, progress=False
    )
    assert table.colnames == ["visit", "detector", *STAT_COLUMNS, "error"]
    assert [(r["visit"], r["detector"]) for r in table] == [
        (v, d) for v in VISITS for d in DETECTORS
    ]
    for row in table:
        expected = expected_row(folder, row["visit"], row["detector"])
        assert row["error"] == ""
        for key in STAT_COLUMNS:
            assert row[key] == expected[key], key
    assert table["n_pixels"][0] == 50 * 44
    again = Table.read(out, format="ascii.ecsv")
    assert list(again["median"]) == list(table["median"])
    assert again.meta["dataset_type"] == "calexpBackground"


def test_missing_product_is_a_row_with_its_error_not_a_lost_survey(folder, client, tmp_path):
    ids = [{"visit": VISITS[0], "detector": 74}, {"visit": VISITS[0], "detector": 99}]
    table = run_survey(
        folder,
        "calexpBackground",
        ids,
        client,
        template=TEMPLATE,
        out=tmp_path / "s.csv",
        progress=False,
    )
    assert table["error"][0] == ""
    assert "ProductNotFound" in table["error"][1]
    assert math.isnan(table["mean"][1])
    assert table["n_pixels"][1] == 0
    text = (tmp_path / "s.csv").read_text().splitlines()
    assert text[0] == "visit,detector,n_pixels,n_nan,mean,median,std,min,max,error"
    assert len(text) == 3


def test_survey_of_a_butler_repository(tmp_path, client):
    pytest.importorskip("lsst.daf.butler")
    from skybkg_adapters import create_butler_repo

    products = []
    for detector in DETECTORS:
        path = tmp_path / f"bkg_{detector}.fits"
        write_background(path, small_background(VISITS[0], detector))
        products.append(
            ("calexpBackground", {"visit": VISITS[0], "detector": detector, "band": "r"}, path)
        )
    repo = create_butler_repo(tmp_path / "repo", products, run="u/survey")
    table = run_survey(
        f"butler:{repo}?collections=u/survey",
        "calexpBackground",
        expand_data_ids([VISITS[0]], DETECTORS),
        client,
        progress=False,
    )
    for row, (_, _, path) in zip(table, products, strict=True):
        expected = background_stats(read_background(path).render()).as_dict()
        assert row["error"] == ""
        assert [row[key] for key in STAT_COLUMNS] == [expected[key] for key in STAT_COLUMNS]


def test_exposures_are_measured_on_their_image_plane(folder):
    row = detector_stats(str(folder), "calexp", {"visit": VISITS[0], "detector": 74}, TEMPLATE)
    image = np.random.default_rng(1).normal(0, 5, (44, 50)).astype(np.float32)
    image[3, 4] = np.nan
    expected = background_stats(image).as_dict()
    assert row["n_nan"] == 1
    assert row["n_pixels"] == 44 * 50
    assert all(row[key] == expected[key] for key in STAT_COLUMNS)


def test_default_local_process_cluster(folder):
    pytest.importorskip("distributed")
    ids = expand_data_ids([VISITS[1]], [75, 76])
    table = run_survey(
        str(folder), "calexpBackground", ids, None, template=TEMPLATE, workers=2, progress=False
    )
    for row in table:
        assert row["median"] == expected_row(folder, row["visit"], row["detector"])["median"]


def test_worker_task_imports_no_glue_or_qt(folder):
    code = (
        "import json, sys\n"
        "from glue_skybkg.cli.survey import detector_stats\n"
        f"row = detector_stats({str(folder)!r}, 'calexpBackground', "
        f"{{'visit': {VISITS[0]}, 'detector': 75}}, {TEMPLATE!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('glue', 'glue_qt', 'PyQt5', 'qtpy', 'matplotlib'))\n"
        "print(json.dumps({'heavy': heavy, 'error': row['error']}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"heavy": [], "error": ""}


def survey_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers())
    return parser


def test_command_line_arguments(folder, client, tmp_path, capsys, monkeypatch):
    parser = survey_parser()
    args = parser.parse_args(
        ["survey", str(folder), "--template", TEMPLATE, "--out", str(tmp_path / "t.ecsv")]
        + "--visits 512055 --detectors 74-76 --data-id visit=512056,detector=74 -q".split()
    )
    assert expand_data_ids(args.visits, args.detectors, args.data_id) == [
        {"visit": 512055, "detector": 74},
        {"visit": 512055, "detector": 75},
        {"visit": 512055, "detector": 76},
        {"visit": 512056, "detector": 74},
    ]
    monkeypatch.setattr(args, "scheduler", client)
    assert run(args) == 0
    assert "4 products, 0 failed" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parser.parse_args(["survey", str(folder), "--detectors", "a-b"])


def test_command_reports_each_failed_product_on_its_own_line(folder, client, tmp_path, capsys):
    parser = survey_parser()
    args = parser.parse_args(
        ["survey", str(folder), "--template", TEMPLATE, "--out", str(tmp_path / "t.csv")]
        + "--visits 512055 --detectors 75,99 -q".split()
    )
    args.scheduler = client
    assert run(args) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "error" not in lines[0].split()
    failure = [line for line in lines if line.startswith("visit 512055, detector 99: ")]
    assert len(failure) == 1
    assert "ProductNotFound" in failure[0]
    assert lines[-1].startswith("2 products, 1 failed; table written to ")


def test_unreachable_scheduler_says_what_to_do(folder, monkeypatch):
    pytest.importorskip("distributed")
    from glue_skybkg.cli import survey
    from skybkg_adapters import SkybkgError

    monkeypatch.setattr(survey, "_CONNECT_TIMEOUT", "1s")

    with pytest.raises(SkybkgError, match="dask scheduler at tcp://127.0.0.1:9"):
        run_survey(
            str(folder),
            "calexpBackground",
            [{"visit": 1, "detector": 2}],
            "tcp://127.0.0.1:9",
            progress=False,
        )
