"""glue_skybkg.survey and ``skybkg survey``: a whole visit of the sample on dask, values checked.

One full visit (189 detectors of visit 512055) is surveyed once on a LocalCluster of two
processes; the tests check its table against the renders themselves, its mosaic pixels
against block means computed here independently, and its positions against the nominal
layout.  One test runs a real ``dask scheduler`` and two ``dask worker`` processes and kills a
worker midway.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from glue_skybkg.analysis import background_stats
from glue_skybkg.cli import main as skybkg
from glue_skybkg.survey import (
    SURVEY_COLUMNS,
    fit_focal_plane,
    read_mosaic,
    read_survey_table,
    robust_sigma,
    run_survey,
    survey_batch,
    write_outputs,
)
from skybkg_adapters import SkybkgError, read_background
from skybkg_adapters.focal_plane import MosaicGrid, load_lsstcam_layout, lsstcam_detector
from skybkg_adapters.sample import BAD_DETECTOR, MISSING_DETECTOR

VISIT = 512055
TEMPLATE = "{dataset_type}_{visit}_{detector}.fits"

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def full_visit(sample, client, tmp_path_factory):
    out = tmp_path_factory.mktemp("survey")
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = run_survey(
            f"sample:{sample.root}",
            [VISIT],
            out=out,
            subtract_plane=True,
            scheduler=client,
            report=messages.append,
        )
    messages += [f"warning: {w.message}" for w in caught]
    return survey, out, messages


def sample_render(sample, detector, visit=VISIT):
    path = sample.path("calexpBackground", {"visit": visit, "detector": detector})
    return read_background(path).render()


def block_means(image, geometry, grid):
    """The mosaic cells of one detector, computed here with numpy: {(row, col): mean}."""
    height, width = image.shape
    y, x = np.mgrid[0:height, 0:width]
    fx, fy = geometry.pixel_to_focal_plane(x + geometry.bbox.x0, y + geometry.bbox.y0)
    col = np.floor((fx - grid.x0) / grid.scale).astype(int).ravel()
    row = np.floor((fy - grid.y0) / grid.scale).astype(int).ravel()
    key = row * grid.shape[1] + col
    sums = np.bincount(
        key, weights=image.ravel().astype(np.float64), minlength=grid.shape[0] * grid.shape[1]
    )
    counts = np.bincount(key, minlength=sums.size)
    return sums.reshape(grid.shape), counts.reshape(grid.shape)


def test_the_table_has_a_row_per_detector_with_its_status(full_visit):
    survey, _, messages = full_visit
    table = survey.table
    assert table.colnames == list(SURVEY_COLUMNS)
    assert list(table["detector"]) == list(range(189))
    assert set(table["visit"]) == {VISIT}
    assert set(table["band"]) == {"i"}
    missing = table[table["status"] != "ok"]
    assert list(missing["detector"]) == [MISSING_DETECTOR["detector"]]
    assert missing["status"][0] == "missing"
    assert "ProductNotFound" in missing["error"][0]
    assert "on purpose" in missing["error"][0]
    assert np.isnan(missing["mean"][0])
    assert list(table["name"][[0, 94, 188]]) == ["R01_S00", "R22_S11", "R43_S22"]
    assert set(table["n_entries"][table["status"] == "ok"]) == {4}
    assert messages[0].startswith("dask dashboard: http://")
    # the finished mosaic goes to the cluster once (scattered), not inside a task's graph
    assert not [m for m in messages if "large graph" in m]


def test_statistics_equal_those_of_the_full_resolution_render(full_visit, sample):
    """Min, max and median exactly; mean and std to float64 round-off (strip sums' order)."""
    table = full_visit[0].table
    for detector in (0, 75, 113, 188):
        stats = background_stats(sample_render(sample, detector))
        row = table[table["detector"] == detector][0]
        for key in ("median", "min", "max"):
            assert row[key] == getattr(stats, key), (detector, key)
        for key in ("mean", "std"):
            assert row[key] == pytest.approx(getattr(stats, key), rel=1e-12), (detector, key)


def test_the_gradient_is_the_least_squares_plane_of_the_render(full_visit, sample):
    table = full_visit[0].table
    for detector in (94, 113):
        image = sample_render(sample, detector).astype(np.float64)
        height, width = image.shape
        y, x = np.mgrid[0:height, 0:width]
        design = np.column_stack([np.ones(x.size), x.ravel(), y.ravel()])
        (_, gx, gy), *_ = np.linalg.lstsq(design, image.ravel(), rcond=None)
        row = table[table["detector"] == detector][0]
        assert row["grad_x"] == pytest.approx(gx, rel=1e-6, abs=1e-9)
        assert row["grad_y"] == pytest.approx(gy, rel=1e-6, abs=1e-9)
    # the bad detector's ramp (+20 per cent of the sky across it) dwarfs the sky's gradient
    ok = table[table["status"] == "ok"]
    bad = ok[ok["detector"] == BAD_DETECTOR["detector"]][0]
    assert bad["grad_x"] > 0.8 * 0.2 * bad["mean"] / 1.12 / 4072
    assert bad["grad_x"] > 5 * np.median(np.abs(ok["grad_x"]))


def test_offsets_come_from_a_robust_focal_plane_plane_and_flag_the_bad_detector(full_visit):
    table = full_visit[0].table
    ok = table[table["status"] == "ok"]
    good = ok[ok["detector"] != BAD_DETECTOR["detector"]]
    plane = fit_focal_plane(good["fp_x"], good["fp_y"], good["mean"])
    assert full_visit[0].mosaics[VISIT].plane == pytest.approx(plane, rel=1e-9)
    expected = ok["mean"] - (plane[0] + plane[1] * ok["fp_x"] + plane[2] * ok["fp_y"])
    np.testing.assert_allclose(ok["offset"], expected, rtol=1e-9, atol=1e-6)
    assert list(table["detector"][table["outlier"]]) == [BAD_DETECTOR["detector"]]
    spread = robust_sigma(ok["offset"])
    bad = ok[ok["detector"] == BAD_DETECTOR["detector"]][0]
    assert abs(bad["offset"] - np.median(ok["offset"])) > 5 * spread
    # the calexps' own backgrounds (74-76, fitted to their pixels) fit in with the rest
    for detector in (74, 75, 76):
        assert not table["outlier"][detector]


def test_mosaic_pixels_are_block_means_of_the_full_resolution_render(full_visit, sample):
    """Block means of the full render (no binned-grid renderer): checked cell by cell.

    Detectors: the focal-plane centre (R22_S11), the first detector of the bottom-left corner
    raft R01, the last of the top-right corner raft R43, and one E2V sensor.
    """
    mosaic = full_visit[0].mosaics[VISIT]
    for detector in (94, 0, 188, 40):
        geometry = lsstcam_detector(detector)
        sums, counts = block_means(sample_render(sample, detector), geometry, mosaic.grid)
        cells = counts > 0
        assert cells.sum() > 6000
        np.testing.assert_allclose(
            mosaic.image[cells], (sums / np.maximum(counts, 1))[cells], rtol=2e-7
        )
        assert np.all(mosaic.detector_map[cells] == detector)
        # a whole 0.5 mm cell holds 50 x 50 pixels
        assert counts.max() == 2500
    assert np.isnan(mosaic.image[mosaic.detector_map == -1]).all()
    assert not (mosaic.detector_map == MISSING_DETECTOR["detector"]).any()


def test_mosaic_positions_follow_the_nominal_layout(full_visit):
    _, out, _ = full_visit
    product = read_mosaic(out / f"mosaic_{VISIT}.fits")
    grid = product.grid
    assert grid.scale == 0.5
    with fits.open(out / f"mosaic_{VISIT}.fits") as hdul:
        header = hdul[0].header
        assert header["MOSSCALE"] == 0.5
        assert (header["CTYPE1"], header["CUNIT1"], header["CUNIT2"]) == ("FP_X", "mm", "mm")
        wcs = WCS(header)
        assert [hdu.name for hdu in hdul] == ["PRIMARY", "MINUS_PLANE", "DETECTOR", "OUTLINES"]
    for detector in (0, 85, 94, 188):
        nominal = lsstcam_detector(detector)
        fx, fy = nominal.pixel_to_focal_plane(*nominal.bbox.center)
        column, row = wcs.wcs_world2pix([[fx, fy]], 0)[0]
        assert product.detector_map[int(round(row)), int(round(column))] == detector
        outline = product.outlines[product.outlines["detector"] == detector][0]
        corners = np.column_stack([outline["corner_x"], outline["corner_y"]])
        np.testing.assert_allclose(corners, nominal.corners_mm(), atol=1e-9)
    # R22_S11 is centred on the origin; R21_S11 (id 85) sits 127 mm to its left
    assert wcs.wcs_pix2world([[grid.shape[1] / 2 - 0.5, grid.shape[0] / 2 - 0.5]], 0)[
        0
    ] == pytest.approx([grid.x0 + grid.shape[1] * 0.25, grid.y0 + grid.shape[0] * 0.25], abs=1e-9)
    assert len(product.outlines) == 189  # the missing detector's place is outlined too


def test_minus_plane_is_the_mosaic_minus_the_plane_at_cell_centres(full_visit):
    product = full_visit[0].mosaics[VISIT]
    x, y = product.grid.centres_mm()
    p0, px, py = product.plane
    expected = product.image - (p0 + px * x[np.newaxis, :] + py * y[:, np.newaxis])
    np.testing.assert_allclose(product.minus_plane, expected, rtol=1e-5, atol=1e-3)
    assert px > 0  # the sky brightens towards +x, as in the picture


def test_files_are_written_whole(full_visit):
    survey, out, _ = full_visit
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "survey.parquet",
            f"mosaic_{VISIT}.fits",
            f"mosaic_{VISIT}.png",
            f"mosaic_{VISIT}_minus_plane.png",
        ]
    )
    again = read_survey_table(out / "survey.parquet")
    np.testing.assert_array_equal(again["offset"], survey.table["offset"])
    assert again.meta["visits"] == [VISIT]
    assert again.meta["source"].startswith("sample:")
    with open(out / f"mosaic_{VISIT}.png", "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    mosaic = read_mosaic(out / f"mosaic_{VISIT}.fits")
    np.testing.assert_array_equal(mosaic.image, survey.mosaics[VISIT].image)


def test_pngs_drawn_on_the_workers_are_those_the_client_would_draw(full_visit, tmp_path):
    """The workers draw each finished visit; the client writes their bytes, or draws itself."""
    from glue_skybkg.survey import figure

    survey, out, _ = full_visit
    product = survey.mosaics[VISIT]
    for minus_plane, name in ((False, ".png"), (True, "_minus_plane.png")):
        written = (out / f"mosaic_{VISIT}{name}").read_bytes()
        assert written == figure.mosaic_png(product, minus_plane=minus_plane)

    def died():
        raise OSError("worker lost")

    files = write_outputs(survey, tmp_path, {(VISIT, False): died, (VISIT, True): lambda: b"x"})
    assert (tmp_path / f"mosaic_{VISIT}.png").read_bytes() == figure.mosaic_png(product)
    assert (tmp_path / f"mosaic_{VISIT}_minus_plane.png").read_bytes() == b"x"
    assert sorted(p.name for p in files) == sorted(p.name for p in out.iterdir())


def test_a_corrupt_file_is_a_row_and_the_rest_survive(sample, client, tmp_path):
    for detector in (93, 94, 95):
        name = TEMPLATE.format(dataset_type="calexpBackground", visit=VISIT, detector=detector)
        shutil.copy(
            sample.path("calexpBackground", {"visit": VISIT, "detector": detector}), tmp_path / name
        )
    broken = tmp_path / TEMPLATE.format(dataset_type="calexpBackground", visit=VISIT, detector=94)
    broken.write_bytes(broken.read_bytes()[:5000])
    survey = run_survey(str(tmp_path), [VISIT], [93, 94, 95], template=TEMPLATE, scheduler=client)
    assert list(survey.table["status"]) == ["ok", "unreadable", "ok"]
    assert "FormatError" in survey.table["error"][1]
    assert survey.table["band"][0] == ""  # a plain folder does not say
    assert set(np.unique(survey.mosaics[VISIT].detector_map)) == {-1, 93, 95}


def test_the_sample_butler_repository_serves_the_full_visits(sample, client):
    pytest.importorskip("lsst.daf.butler")
    survey = run_survey(
        f"butler:{sample.butler_repo}?collections=2.2i/runs/DP0.2",
        [VISIT, 1172317],
        [41, 42, 43],
        scheduler=client,
    )
    table = survey.table
    assert list(table["band"]) == ["i"] * 3 + ["r"] * 3
    assert list(table["status"]) == ["ok", "missing", "ok", "ok", "ok", "ok"]
    row = table[(table["visit"] == 1172317) & (table["detector"] == 42)][0]
    assert row["median"] == background_stats(sample_render(sample, 42, 1172317)).median


def test_the_worker_task_imports_no_glue_or_qt(sample):
    code = (
        "import json, sys\n"
        "from glue_skybkg.survey.tasks import survey_batch\n"
        "from skybkg_adapters.focal_plane import MosaicGrid, load_lsstcam_layout\n"
        "grid = MosaicGrid.covering(load_lsstcam_layout())\n"
        f"rows = survey_batch('sample:{sample.root}', 'calexpBackground', {VISIT}, [75], grid)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('glue', 'glue_qt', 'PyQt5', 'qtpy', 'matplotlib'))\n"
        "print(json.dumps({'heavy': heavy, 'status': rows[0].row['status']}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {"heavy": [], "status": "ok"}


def test_a_batch_keeps_detector_order_and_one_grid(sample):
    grid = MosaicGrid.covering(load_lsstcam_layout())
    results = survey_batch(f"sample:{sample.root}", "calexpBackground", 1206010, [5, 3, 200], grid)
    assert [r.row["detector"] for r in results] == [5, 3, 200]
    assert [r.row["status"] for r in results] == ["ok", "ok", "missing"]
    assert results[0].row["band"] == "z"


def test_the_command_line(sample, client, tmp_path, capsys, monkeypatch):
    out = tmp_path / "cli"
    argv = ["survey", f"sample:{sample.root}", "--visits", "512055,1206010", "--detectors", "40-44"]
    argv += ["--out", str(out), "-q", "--scale", "1.0"]
    from glue_skybkg.cli import survey as survey_command

    real = survey_command.run_survey
    asked = []

    def on_the_shared_cluster(*args, **kwargs):
        asked.append(kwargs["start_method"])
        return real(*args, **{**kwargs, "scheduler": client})

    monkeypatch.setattr(survey_command, "run_survey", on_the_shared_cluster)
    assert skybkg(argv) == 0
    # the command is a plain process: on Linux its own cluster's workers are forks of it
    assert asked == ["fork" if sys.platform.startswith("linux") else None]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("visit 512055 detector 42 R11_S20: missing: ProductNotFound")
    assert lines[-1].startswith("10 detectors, 9 surveyed, 1 failed, 0 outliers; written to ")
    assert read_mosaic(out / "mosaic_1206010.fits").grid.scale == 1.0
    assert not (out / "mosaic_1206010_minus_plane.png").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is a Linux choice here")
def test_forked_workers_survey_as_spawned_ones_do(sample, client):
    spec, detectors = f"sample:{sample.root}", [40, 41, 42, 43]
    spawned = run_survey(spec, [VISIT], detectors, scheduler=client).table
    forked = run_survey(spec, [VISIT], detectors, workers=2, start_method="fork").table
    assert list(forked["status"]) == list(spawned["status"]) == ["ok", "ok", "missing", "ok"]
    ok = forked["status"] == "ok"
    for key in ("median", "min", "max", "mean", "std", "grad_x"):
        np.testing.assert_array_equal(forked[key][ok], spawned[key][ok])
    # three detectors fit their plane exactly: offsets are round-off, in arrival order
    np.testing.assert_allclose(forked["offset"][ok], spawned["offset"][ok], rtol=0, atol=1e-8)
    with pytest.raises(SkybkgError, match="start_method must be one of spawn, fork, forkserver"):
        run_survey(spec, [VISIT], [40], start_method="thread")


def test_an_unreachable_scheduler_says_what_to_do(sample, monkeypatch):
    from glue_skybkg.survey import run as run_module

    monkeypatch.setattr(run_module, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(SkybkgError, match="dask scheduler at tcp://127.0.0.1:9"):
        run_survey(f"sample:{sample.root}", [VISIT], [1], scheduler="tcp://127.0.0.1:9")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _dask(*args: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    executable = Path(sys.executable).with_name("dask")
    return subprocess.Popen(
        [str(executable), *args], stdout=log.open("w"), stderr=subprocess.STDOUT, env=env
    )


def test_a_worker_killed_midway_is_survived(sample, tmp_path):
    """A real scheduler and two workers on 127.0.0.1; one worker is killed during the survey."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [
        _dask(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
            log=tmp_path / "scheduler.log",
        )
    ]
    try:
        for name in ("a", "b"):
            processes.append(
                _dask(
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--name",
                    name,
                    "--host",
                    "127.0.0.1",
                    log=tmp_path / f"worker-{name}.log",
                )
            )
        with distributed.Client(address, timeout="30s") as watcher:
            watcher.wait_for_workers(2, timeout=60)
            out = tmp_path / "out"
            survey = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "glue_skybkg.cli",
                    "survey",
                    f"sample:{sample.root}",
                    "--visits",
                    str(VISIT),
                    "--scheduler",
                    address,
                    "--batch-size",
                    "2",
                    "--out",
                    str(out),
                    "-q",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

            def waiting_batches(dask_scheduler):
                # finished batches are released (forgotten) once the client has their result
                return sum(
                    1
                    for task in dask_scheduler.tasks.values()
                    if str(task.key).startswith("survey_batch") and task.state != "memory"
                )

            deadline = time.monotonic() + 300
            most = 0
            while True:
                waiting = watcher.run_on_scheduler(waiting_batches)
                most = max(most, waiting)
                if most >= 40 and waiting <= most - 5:
                    break
                assert survey.poll() is None, survey.communicate()[1]
                assert time.monotonic() < deadline, "the survey did not get going"
                time.sleep(0.02)
            assert waiting >= 10  # killed midway, with most of the visit still to do
            processes[1].send_signal(signal.SIGKILL)
            processes[1].wait()
            stdout, stderr = survey.communicate(timeout=600)
            assert survey.returncode == 0, stderr
            assert len(watcher.scheduler_info()["workers"]) == 1
        assert "188 surveyed, 1 failed" in stdout.splitlines()[-1]
        table = read_survey_table(out / "survey.parquet")
        assert list(table["detector"]) == list(range(189))
        assert list(table["detector"][table["status"] != "ok"]) == [MISSING_DETECTOR["detector"]]
        mosaic = read_mosaic(out / f"mosaic_{VISIT}.fits")
        assert set(np.unique(mosaic.detector_map)) == set(range(-1, 189)) - {
            MISSING_DETECTOR["detector"]
        }
        row = table[table["detector"] == 75][0]
        assert row["median"] == background_stats(sample_render(sample, 75)).median
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
