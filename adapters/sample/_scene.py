"""Synthetic sky scenes for the sample data set: smooth sky, stars, galaxies, noise, masks.

A scene is the truth the sample products are made from: the pixels a camera (or a coadd)
would record, their variance, the instrumental mask bits and the noiseless source model
that detection thresholds are applied to. Everything is drawn from a seeded generator,
so the same arguments always give the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.wcs import WCS

__all__ = [
    "COADD_MASK_PLANES",
    "VISIT_MASK_PLANES",
    "Scene",
    "SkyGradient",
    "coadd_scene",
    "tan_wcs",
    "visit_scene",
]

_AFW_DEFAULT_PLANES = (
    "BAD",
    "SAT",
    "INTRP",
    "CR",
    "EDGE",
    "DETECTED",
    "DETECTED_NEGATIVE",
    "SUSPECT",
    "NO_DATA",
    "VIGNETTED",
    "STREAK",
)
VISIT_MASK_PLANES = {
    name: bit
    for bit, name in enumerate(_AFW_DEFAULT_PLANES + ("CROSSTALK", "NOT_DEBLENDED", "UNMASKEDNAN"))
}
"""Mask planes of the sample calexps: afw's default bits, then the ones the pipelines add."""
COADD_MASK_PLANES = {
    name: bit
    for bit, name in enumerate(
        _AFW_DEFAULT_PLANES
        + ("CLIPPED", "CROSSTALK", "INEXACT_PSF", "NOT_DEBLENDED", "REJECTED", "SENSOR_EDGE")
    )
}
"""Mask planes of the sample coadds."""

_PIXEL_SCALE_DEG = 0.2 / 3600.0
_SATURATION = 9.0e4  # counts; ITL full well
_GAIN = 1.0
_READ_NOISE = 8.0
# stamp half-sizes: every source is drawn into the smallest that holds ~all its light
_HALF_SIZES = np.array([6, 12, 24, 48, 96])


@dataclass(frozen=True)
class SkyGradient:
    """A smooth sky: ``level * (1 + gx*x + gy*y + curvature*(x**2 + y**2))``, x and y in 10^4 px.

    Coordinates are measured from ``origin`` (focal-plane or tract pixels), so neighbouring
    detectors of one visit share one continuous sky.
    """

    level: float
    gx: float = 0.0
    gy: float = 0.0
    curvature: float = 0.0
    origin: tuple[float, float] = (0.0, 0.0)

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The sky at pixel positions ``x``, ``y`` of the gradient's frame (broadcast), float64."""
        x = (np.asarray(x, dtype=np.float64) - self.origin[0]) * 1e-4
        y = (np.asarray(y, dtype=np.float64) - self.origin[1]) * 1e-4
        return self.level * (1.0 + self.gx * x + self.gy * y + self.curvature * (x * x + y * y))

    def evaluate(self, shape: tuple[int, int], offset: tuple[float, float]) -> np.ndarray:
        """The sky on an image of ``shape`` whose pixel (0, 0) sits at ``offset``, float32."""
        x = np.arange(shape[1], dtype=np.float64) + offset[0]
        y = np.arange(shape[0], dtype=np.float64) + offset[1]
        return self.at(x[np.newaxis, :], y[:, np.newaxis]).astype(np.float32)


@dataclass(frozen=True)
class Scene:
    """One synthetic image: recorded pixels and the truth behind them.

    ``pixels`` are what was recorded (sky + sources + noise, float32); ``sky`` is the smooth
    sky alone and ``sources`` the noiseless source light (both float32); ``variance`` is
    consistent with the expected counts; ``mask`` holds the instrumental bits (no
    detection yet) with ``sigma`` the typical per-pixel noise that detection thresholds use.
    """

    pixels: np.ndarray
    sky: np.ndarray
    sources: np.ndarray
    variance: np.ndarray
    mask: np.ndarray
    sigma: float

    def footprints(self, n_sigma: float) -> np.ndarray:
        """Pixels a detection at ``n_sigma`` per-pixel noise would mark (boolean)."""
        return self.sources > n_sigma * self.sigma


def tan_wcs(
    crval: tuple[float, float], crpix: tuple[float, float], rotation_deg: float = 0.0
) -> WCS:
    """A TAN WCS at 0.2 arcsec/pixel; ``crpix`` is 1-based in array pixels (FITS convention)."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.wcs.radesys = "ICRS"
    wcs.wcs.crval = list(crval)
    wcs.wcs.crpix = list(crpix)
    c, s = np.cos(np.radians(rotation_deg)), np.sin(np.radians(rotation_deg))
    wcs.wcs.cd = _PIXEL_SCALE_DEG * np.array([[-c, s], [s, c]])
    return wcs


def _magnitudes(rng: np.random.Generator, n: int, bright: float, faint: float) -> np.ndarray:
    """Magnitudes with counts rising as 10**(0.3 m), as faint field sources do."""
    slope = 0.3 * np.log(10.0)
    u = rng.random(n)
    lo, hi = np.exp(slope * bright), np.exp(slope * faint)
    return np.log(lo + u * (hi - lo)) / slope


def _moffat(dx: np.ndarray, dy: np.ndarray, fwhm: float) -> np.ndarray:
    beta = 3.5
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    return (1.0 + (dx * dx + dy * dy) / (alpha * alpha)) ** -beta


def _sersic(dx, dy, r_e, index, axis_ratio, angle, core):
    """Elliptical Sersic profiles; ``core`` softens the centre as seeing would."""
    c, s = np.cos(angle), np.sin(angle)
    u = dx * c + dy * s
    v = (-dx * s + dy * c) / axis_ratio
    r = np.sqrt(u * u + v * v + core * core)
    b_n = 2.0 * index - 1.0 / 3.0
    return np.exp(-b_n * ((r / r_e) ** (1.0 / index) - 1.0))


def _half_size(reach: np.ndarray) -> np.ndarray:
    """The smallest stamp half-size holding ``reach`` pixels (the largest if none does)."""
    return _HALF_SIZES[np.minimum(np.searchsorted(_HALF_SIZES, reach), _HALF_SIZES.size - 1)]


def _add_sources(image, x, y, flux, half, profile, params):
    """Add sources into ``image`` in place, each drawn into a stamp of its half-size.

    ``profile(dx, dy, *params)`` gets offsets shaped ``(n, s, s)`` and per-source
    parameters shaped ``(n, 1, 1)``; each stamp is scaled to hold the source's flux.
    """
    height, width = image.shape
    for h in np.unique(half):
        pick = half == h
        offsets = np.arange(-h, h + 1)
        iy = np.round(y[pick]).astype(np.int64)[:, None, None] + offsets[None, :, None]
        ix = np.round(x[pick]).astype(np.int64)[:, None, None] + offsets[None, None, :]
        dx = ix - x[pick][:, None, None]
        dy = iy - y[pick][:, None, None]
        stamps = profile(dx, dy, *(p[pick][:, None, None] for p in params))
        stamps *= (flux[pick] / stamps.sum(axis=(1, 2)))[:, None, None]
        iy, ix = np.broadcast_arrays(iy, ix)
        inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
        np.add.at(image, (iy[inside], ix[inside]), stamps[inside].astype(np.float32))


def _draw_sources(rng, shape, n_stars, n_galaxies, zero_point, fwhm, faint_limit):
    """Noiseless light of a random field of stars and galaxies, float32."""
    height, width = shape
    image = np.zeros(shape, np.float32)
    margin = 20.0

    def positions(n):
        return (
            rng.uniform(-margin, width + margin, n),
            rng.uniform(-margin, height + margin, n),
        )

    x, y = positions(n_stars)
    mag = _magnitudes(rng, n_stars, faint_limit - 9.0, faint_limit)
    flux = 10.0 ** (-0.4 * (mag - zero_point))
    # the radius where a Moffat's wings drop below ~0.1 count sets the stamp
    reach = 2.2 * fwhm * (flux / 1e3) ** (1.0 / 6.0)
    half = _half_size(reach)
    _add_sources(image, x, y, flux, half, _moffat, (np.full(n_stars, fwhm),))

    x, y = positions(n_galaxies)
    mag = _magnitudes(rng, n_galaxies, faint_limit - 7.5, faint_limit + 0.5)
    flux = 10.0 ** (-0.4 * (mag - zero_point))
    r_e = np.clip(
        1.2 * 10.0 ** (0.12 * (faint_limit - mag)) * rng.lognormal(0.0, 0.3, n_galaxies), 1.0, 25.0
    )
    index = rng.choice([0.5, 1.0, 1.0, 1.5, 2.5, 4.0], n_galaxies)
    axis_ratio = rng.uniform(0.25, 1.0, n_galaxies)
    angle = rng.uniform(0.0, np.pi, n_galaxies)
    core = np.full(n_galaxies, 0.5 * fwhm)
    reach = r_e * (2.0 + index)
    half = _half_size(reach)
    _add_sources(image, x, y, flux, half, _sersic, (r_e, index, axis_ratio, angle, core))
    return image


def _cosmic_rays(rng, mask, n, planes):
    """Mark ``n`` short straight tracks as CR (+INTRP): calexps keep them repaired."""
    height, width = mask.shape
    bits = (1 << planes["CR"]) | (1 << planes["INTRP"])
    for _ in range(n):
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        length, angle = rng.uniform(3, 40), rng.uniform(0, np.pi)
        t = np.linspace(0.0, length, int(length) * 2 + 2)
        xs = np.clip(np.round(x0 + t * np.cos(angle)).astype(int), 0, width - 1)
        ys = np.clip(np.round(y0 + t * np.sin(angle)).astype(int), 0, height - 1)
        mask[ys, xs] |= bits


def visit_scene(
    seed: int,
    shape: tuple[int, int],
    offset: tuple[float, float],
    sky: SkyGradient,
    *,
    zero_point: float = 32.0,
    fwhm: float = 3.8,
    n_stars: int = 1500,
    n_galaxies: int = 5000,
) -> Scene:
    """One detector of a visit before background subtraction, in counts.

    Parameters
    ----------
    seed
        Seed of this detector's generator.
    shape
        ``(height, width)`` of the detector.
    offset
        Focal-plane position of the detector's pixel (0, 0), the frame of ``sky``.
    sky
        The visit's smooth sky.
    zero_point
        Magnitude of one count in the exposure.
    fwhm
        Seeing in pixels.
    """
    rng = np.random.default_rng(seed)
    sky_image = sky.evaluate(shape, offset)
    sources = _draw_sources(rng, shape, n_stars, n_galaxies, zero_point, fwhm, 24.5)
    expected = sky_image + sources
    variance = (expected / _GAIN + _READ_NOISE**2).astype(np.float32)
    noise = rng.standard_normal(shape, dtype=np.float32)
    pixels = expected + noise * np.sqrt(variance)

    mask = np.zeros(shape, np.int32)
    saturated = pixels >= _SATURATION
    pixels[saturated] = _SATURATION
    mask[saturated] |= (1 << VISIT_MASK_PLANES["SAT"]) | (1 << VISIT_MASK_PLANES["INTRP"])
    bad_column = int(rng.integers(200, shape[1] - 200))
    mask[:, bad_column] |= (1 << VISIT_MASK_PLANES["BAD"]) | (1 << VISIT_MASK_PLANES["INTRP"])
    _cosmic_rays(rng, mask, 25, VISIT_MASK_PLANES)
    sigma = float(np.sqrt(np.median(sky_image) / _GAIN + _READ_NOISE**2))
    return Scene(pixels, sky_image, sources, variance, mask, sigma)


def coadd_scene(
    seed: int,
    shape: tuple[int, int],
    offset: tuple[float, float],
    sky: SkyGradient,
    *,
    noise_sigma: float = 3.5,
    zero_point: float = 31.4,
    fwhm: float = 3.6,
    n_stars: int = 1000,
    n_galaxies: int = 12000,
) -> Scene:
    """One coadd patch with its residual sky, in nJy (zero point 31.4 = 1 nJy).

    ``noise_sigma`` is the per-pixel noise of the sky-limited coadd; the depth varies
    smoothly by +-10 per cent across the patch as the dither pattern would make it.
    """
    rng = np.random.default_rng(seed)
    sky_image = sky.evaluate(shape, offset)
    sources = _draw_sources(rng, shape, n_stars, n_galaxies, zero_point, fwhm, 27.0)
    height, width = shape
    yy = np.linspace(0.0, np.pi, height, dtype=np.float32)[:, None]
    xx = np.linspace(0.0, np.pi, width, dtype=np.float32)[None, :]
    depth = 1.0 + 0.1 * np.sin(2.0 * xx + 0.3) * np.cos(1.5 * yy)
    variance = (noise_sigma * depth) ** 2 + sources * 0.02
    variance = variance.astype(np.float32)
    pixels = sky_image + sources + rng.standard_normal(shape, dtype=np.float32) * np.sqrt(variance)
    mask = np.zeros(shape, np.int32)
    return Scene(pixels, sky_image, sources, variance, mask, noise_sigma)
