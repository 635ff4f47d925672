"""afw Exposure / MaskedImage FITS files: read any layout afw has written, write the current one.

Layout (lsst-formats.md section 7): an empty primary with the exposure metadata, then
IMAGE, MASK and VARIANCE HDUs (EXTTYPE, since 2021 also EXTNAME), possibly
tile-compressed, then archive tables we do not need. Legacy MaskedImage files keep the
image in the primary HDU.
"""

from __future__ import annotations

import os
from functools import partial

import numpy as np
from astropy import units as u
from astropy.io import fits

from ..atomic import atomic_output
from ..container import Provenance, SkyImage
from ..errors import FormatError
from ..lsst_images.reader import is_lsst_images, read_lsst_images_exposure
from ..units import PhotometricScaling
from .archive import component_ids, read_detector, read_photocalib
from .headers import (
    looks_like_background,
    mask_plane_cards,
    merge_metadata,
    metadata_cards,
    read_mask_planes,
    read_unit,
    read_wcs,
    read_xy0,
    set_card,
    unit_card,
    wcs_cards,
    xy0_cards,
)
from .planes import (
    Plane,
    check_pixel_type,
    check_whole_blocks,
    checked_header,
    load_plane,
    open_fits,
    plane_at,
    read_plane,
)
from .tiles import compress_row_tiles

__all__ = ["read_exposure", "write_exposure"]

_PLANES = ("IMAGE", "MASK", "VARIANCE")
_COMPRESSIONS = (None, "GZIP_2")


def _plane_name(plane: Plane) -> str | None:
    for key in ("EXTTYPE", "EXTNAME"):
        name = plane.header.get(key)
        if isinstance(name, str) and name.strip().upper() in _PLANES:
            return name.strip().upper()
    return None


def locate_planes(path: str | os.PathLike, hdul: fits.HDUList) -> dict[str, Plane]:
    """Find the IMAGE/MASK/VARIANCE planes of an exposure by EXTTYPE/EXTNAME, else by position.

    The leading 2-D image HDUs are scanned (an empty primary is skipped; the archive
    tables that follow end the scan). Named planes win; unnamed ones fill the missing
    roles in file order: image, mask, variance.
    """
    candidates = []
    index = 0
    while True:
        plane = plane_at(path, hdul, index)
        if plane is None and index > 0:
            break
        if plane is not None:
            candidates.append(plane)
        index += 1
    found: dict[str, Plane] = {}
    unnamed = []
    for plane in candidates:
        name = _plane_name(plane)
        if name is not None and name not in found:
            found[name] = plane
        else:
            unnamed.append(plane)
    for name in _PLANES:
        if name not in found and unnamed:
            found[name] = unnamed.pop(0)
    return found


def read_exposure(path: str | os.PathLike) -> SkyImage:
    """Read an exposure: afw Exposure or MaskedImage FITS, or a DP2 (lsst-images) image.

    The format is told by content: a primary header with lsst-images' ``FMTVER`` and
    ``DATAMODL`` is read by :func:`~skybkg_adapters.lsst_images.read_lsst_images_exposure`
    (a DP1 ``visit_image`` is afw, a DP2 one lsst-images, whatever the dataset type says).

    Parameters
    ----------
    path
        The FITS file, plain or tile-compressed.

    Returns
    -------
    SkyImage
        ``image`` float32 (native byte order); ``mask`` int32 bits and ``variance``
        float32, both read on first access; ``mask_planes`` from the ``MP_`` keys;
        ``xy0`` from ``CRVAL1A/2A``; ``wcs`` the celestial FITS WCS of the image HDU
        (mapping 0-based array indices to the sky) or None; ``unit`` from ``BUNIT``;
        ``metadata`` the primary and image HDU cards; provenance naming ``path``;
        ``photometric_scaling`` the archive's PhotoCalib (nJy per count) and ``detector``
        its Detector geometry, both read on first access.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    FormatError
        Not FITS, truncated, a BackgroundList, no image plane, planes of different
        shapes, or a non-integer mask.
    """
    path = os.fspath(path)
    if is_lsst_images(path):
        return read_lsst_images_exposure(path)
    with open_fits(path) as hdul:
        primary_header = checked_header(path, hdul[0].header, 0)
        if looks_like_background(primary_header):
            raise FormatError(
                path,
                "this is a BackgroundList file, not an exposure; read it with read_background",
                hdu=0,
            )
        planes = locate_planes(path, hdul)
        if "IMAGE" not in planes:
            raise FormatError(
                path,
                "no image plane: no 2-D image HDU (EXTTYPE/EXTNAME 'IMAGE' "
                "or the first image HDU) was found; is this an afw exposure?",
            )
        image_plane = planes["IMAGE"]
        for name, plane in planes.items():
            if plane.shape != image_plane.shape:
                raise FormatError(
                    path,
                    f"{name} plane is {plane.shape[1]}x{plane.shape[0]} but "
                    f"the image is {image_plane.shape[1]}x{image_plane.shape[0]}",
                    hdu=plane.index,
                    key="NAXIS1",
                )
        mask_plane = planes.get("MASK")
        if mask_plane is not None:
            # Checked now, not when the lazy mask is first read.
            check_pixel_type(path, mask_plane, "mask")
        image = read_plane(path, image_plane, "image")
        image_header = image_plane.header
        # A legacy MaskedImage keeps the image in the primary: one header, not two.
        headers = [image_header] if image_plane.index == 0 else [primary_header, image_header]
        check_whole_blocks(path)
        # The lazy planes may be read after a chdir (glue opens a session's relative paths
        # from the session's folder, then goes back): they keep the absolute path.
        later = os.path.abspath(path)
        components = component_ids(primary_header, path) if image_plane.index else {}
        return SkyImage(
            image,
            None if mask_plane is None else partial(load_plane, later, mask_plane.index, "mask"),
            None
            if "VARIANCE" not in planes
            else partial(load_plane, later, planes["VARIANCE"].index, "variance"),
            mask_planes={} if mask_plane is None else read_mask_planes(mask_plane.header),
            xy0=read_xy0(image_header),
            wcs=read_wcs(image_header, f"{path}, HDU {image_plane.index}"),
            metadata=merge_metadata(*headers),
            unit=read_unit(image_header, primary_header),
            provenance=Provenance(source=path, uri=path),
            photometric_scaling=partial(_photometric_scaling, later) if components else None,
            detector=partial(_detector, later) if "DETECTOR" in components else None,
        )


def _photometric_scaling(path: str) -> PhotometricScaling | None:
    """The PhotoCalib of an afw Exposure as a photometric scaling (nJy per count), or None."""
    calib = read_photocalib(path)
    if calib is None:
        return None
    origin = "the file's PhotoCalib"
    if calib.is_constant or calib.field is None:
        return PhotometricScaling(u.nJy / u.count, constant=calib.mean, origin=origin)
    return PhotometricScaling(u.nJy / u.count, field=calib, origin=origin)


def _detector(path: str):
    """The Detector of an afw Exposure as its focal-plane geometry (None without one)."""
    record = read_detector(path)
    return None if record is None else record.geometry()


def _plane_header(img: SkyImage, exttype: str) -> fits.Header:
    header = fits.Header()
    if img.wcs is not None:
        for card in wcs_cards(img.wcs):
            header.append(card, end=True)
    x0, y0 = img.xy0
    header["LTV1"] = (-x0, "ds9 physical = image - LTV1 (afw ignores it)")
    header["LTV2"] = (-y0, "ds9 physical = image - LTV2 (afw ignores it)")
    header["INHERIT"] = True
    header["EXTTYPE"] = exttype
    if exttype == "MASK":
        for key, value, comment in mask_plane_cards(img.mask_planes):
            set_card(header, key, value, comment)
    if exttype == "IMAGE" and img.unit is not None:
        header.set(*unit_card(img.unit))
    for key, value, comment in xy0_cards(img.xy0):
        header[key] = (value, comment)
    return header


def _plane_hdu(data: np.ndarray, header: fits.Header, name: str, compress: str | None):
    if compress is None:
        return fits.ImageHDU(data, header=header, name=name)
    return compress_row_tiles(data, header, name)


def write_exposure(path: str | os.PathLike, img: SkyImage, compress: str | None = None) -> None:
    """Write ``img`` as an afw Exposure FITS file (atomically: a complete file or none).

    Parameters
    ----------
    path
        Destination; replaced if it exists.
    img
        The exposure. A missing mask is written as zeros, a missing variance as zeros
        (afw's defaults).
    compress
        None for plain HDUs, or ``"GZIP_2"`` for the Butler's lossless layout: one tile
        per row, byte-shuffled GZIP, no quantisation (bit-exact).
    """
    if compress not in _COMPRESSIONS:
        raise ValueError(f"compress must be one of {_COMPRESSIONS}; got {compress!r}")
    image = np.asarray(img.image, dtype=np.float32)
    mask = img.mask
    mask = np.zeros(image.shape, np.int32) if mask is None else np.asarray(mask)
    if mask.dtype.kind not in "iu":
        raise ValueError(f"the mask must hold integer bits; got dtype {mask.dtype}")
    variance = img.variance
    variance = (
        np.zeros(image.shape, np.float32)
        if variance is None
        else np.asarray(variance, dtype=np.float32)
    )
    for name, plane in (("mask", mask), ("variance", variance)):
        if plane.shape != image.shape:
            raise ValueError(f"the {name} shape {plane.shape} differs from the image {image.shape}")
    primary = fits.PrimaryHDU()
    metadata = img.metadata
    if not isinstance(metadata, fits.Header):
        metadata = fits.Header()
        for key, value in dict(img.metadata).items():
            set_card(metadata, key, value)
    for card in metadata_cards(metadata, for_writing=True):
        primary.header.append(card, end=True)
    hdus = [primary]
    for name, data in (("IMAGE", image), ("MASK", mask.astype(np.int32)), ("VARIANCE", variance)):
        hdus.append(_plane_hdu(data, _plane_header(img, name), name, compress))
    with atomic_output(path) as tmp:
        fits.HDUList(hdus).writeto(tmp, overwrite=True, output_verify="exception")
