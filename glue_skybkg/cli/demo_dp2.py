"""The DP2 part of ``skybkg demo``: named backgrounds in Rubin's new format, and units.

On the sample's DP2 visit image and coadd (:mod:`skybkg_adapters.sample.dp2`): list the named
backgrounds with their descriptions, show each, apply another (``skyCorr`` to the visit,
``pretty`` to the coadd, as lsst-images' ``apply_background`` does), the difference of two,
and a DP1-style restore: a visit image in nJy whose attached calibration is the identity is
refused without a calibration, and restored in nJy with a given one (labelled approximate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u

from skybkg_adapters import (
    BackgroundMap,
    BackgroundModel,
    BBox,
    PhotometricScaling,
    SkyImage,
    UnitMismatch,
    open_source,
)
from skybkg_adapters.focal_plane import lsstcam_detector
from skybkg_adapters.sample import CALEXP_DATA_ID, COADD_DATA_ID, DP2_CALIBRATION

from . import report

__all__ = ["DP2_STEP_COUNT", "centre_region", "dp1_style_image", "dp2_steps"]

DP2_STEP_COUNT = 4
"""Progress-bar steps of :func:`dp2_steps`."""

_APPLIED = {"visit_image": "skyCorr", "deep_coadd": "pretty"}
_REGION = 1024  # pixels a side of the centre region the applied images cover


def centre_region(image: SkyImage) -> BBox:
    """The ``_REGION``-pixel square at the image's centre (parent pixels).

    Applying a background to a sub-region renders only that region: what the DP2
    tutorials could not do (lsst-images applies to a whole image only).
    """
    box = image.bbox
    side_x, side_y = min(_REGION, box.width), min(_REGION, box.height)
    return BBox(
        box.x0 + (box.width - side_x) // 2, box.y0 + (box.height - side_y) // 2, side_x, side_y
    )


def dp1_style_image(calexp: SkyImage, background: BackgroundModel) -> SkyImage:
    """A DP1-like visit image in memory: pixels in nJy, the identity PhotoCalib, its background.

    DP1 ``visit_image`` files carry ``PhotoCalib = 1`` once their pixels are calibrated; the
    real calibration is in ``visit_summary``, and ``visit_image_background`` stays in counts.
    The pixels here are the calexp's times :data:`~skybkg_adapters.sample.DP2_CALIBRATION`,
    so the right factor is known; the background is the calexp's, as the subtracted one.
    """
    return SkyImage(
        calexp.image * np.float32(DP2_CALIBRATION),
        xy0=calexp.xy0,
        wcs=calexp.wcs,
        unit=u.nJy,
        photometric_scaling=PhotometricScaling(
            u.nJy / u.count, constant=1.0, origin="the file's PhotoCalib"
        ),
        detector=lsstcam_detector(int(CALEXP_DATA_ID["detector"])),
        backgrounds=BackgroundMap({"visit_image_background": background}, "visit_image_background"),
    )


def _describe(run: Any, dataset_type: str, image: SkyImage) -> list[report.Panel]:
    """Print the named backgrounds; panels of each and of the image with another applied."""
    lines = [f"{dataset_type}: named backgrounds (unit; * = subtracted from the pixels)"]
    for name, model in image.backgrounds.items():
        mark = "*" if name == image.backgrounds.subtracted else " "
        lines.append(f" {mark} {name} ({model.unit}): {model.description}")
    run.steps.print("\n".join(lines) + "\n")
    panels = [
        report.Panel(model.render(image.bbox), f"background {name!r}", "linear", model.unit)
        for name, model in image.backgrounds.items()
    ]
    chosen = _APPLIED[dataset_type]
    region = centre_region(image)
    panels.append(
        report.Panel(
            image.apply_background(chosen, region),
            f"image + {image.backgrounds.subtracted} - {chosen}, centre {region.width}x"
            f"{region.height}",
            "asinh",
            image.unit,
            region.xy0,
        )
    )
    return panels


def dp2_steps(run: Any, sample_root: object) -> None:
    """The DP2 steps of the demo (module docstring), added to ``run``'s report.

    ``run`` is the demo's run record (output folder, progress steps, figures, statistics).
    """
    steps = run.steps
    source = steps.run("open the DP2 sample", lambda: open_source(f"sample:{sample_root}"))
    visit = steps.run(
        "read DP2 visit_image", lambda: source.get("visit_image", dict(CALEXP_DATA_ID))
    )
    coadd = steps.run("read DP2 deep_coadd", lambda: source.get("deep_coadd", dict(COADD_DATA_ID)))
    visit_panels = _describe(run, "visit_image", visit)
    coadd_panels = _describe(run, "deep_coadd", coadd)
    first, second = list(visit.backgrounds)[:2]
    visit_panels.append(
        report.Panel(
            visit_panels[0].array - visit_panels[1].array,
            f"{first} - {second}",
            "linear",
            visit.backgrounds[first].unit,
        )
    )
    calexp = steps.run("read calexp for DP1", lambda: source.get("calexp", dict(CALEXP_DATA_ID)))
    background = source.get("calexpBackground", dict(CALEXP_DATA_ID))
    dp1 = dp1_style_image(calexp, background)
    try:
        dp1.apply_background(None)
        refusal = "no refusal (unexpected)"
    except UnitMismatch as exc:
        refusal = str(exc)
    steps.print(f"DP1-style restore without a calibration is refused:\n  {refusal}\n")
    region = centre_region(dp1)
    restored = dp1.apply_background(None, region, calibration=DP2_CALIBRATION)
    steps.print(
        f"DP1-style restore with a given calibration ({DP2_CALIBRATION} nJy per count, "
        f"approximate), centre {tuple(region)}: maximum {float(np.nanmax(restored)):.6g} nJy\n"
    )
    visit_panels.append(
        report.Panel(
            restored,
            f"DP1-style restored, x{DP2_CALIBRATION} (approximate)",
            "asinh",
            u.nJy,
            region.xy0,
        )
    )
    figures = [
        report.save_panels(
            run.out / "09_dp2_visit_image.png",
            visit_panels,
            title=f"DP2 visit_image ({CALEXP_DATA_ID}): named backgrounds, apply, DP1-style",
            xy0=visit.xy0,
        ),
        report.save_panels(
            run.out / "10_dp2_deep_coadd.png",
            coadd_panels,
            title=f"DP2 deep_coadd ({COADD_DATA_ID}): named backgrounds, apply",
            xy0=coadd.xy0,
        ),
    ]
    run.figures += figures
    run.sections.append(
        report.Section(
            "DP2: named backgrounds",
            "The DP2 visit image and coadd carry their backgrounds, each with a name and a "
            "description; the marked one was subtracted from the pixels. Applying another is "
            "image + subtracted - chosen, both in the image's unit (electrons times the "
            f"photometric scaling for the visit). A DP1-style image in nJy with an identity "
            f"calibration is refused ({refusal.split('.')[0]}); with a given calibration it is "
            "restored, labelled approximate.",
            figures=figures,
        )
    )
