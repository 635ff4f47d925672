"""Opening afw FITS files and reading their 2-D image planes, plain or tile-compressed.

Every astropy failure on a bad file is turned into a :class:`FormatError` naming the
file and HDU here, so the exposure and background readers never see a raw OSError.
"""

from __future__ import annotations

import os
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyError, VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning

from ..errors import FormatError
from .tiles import decompress_row_tiles

__all__ = [
    "DAMAGE_ERRORS",
    "Plane",
    "check_pixel_type",
    "check_whole_blocks",
    "checked_header",
    "count_hdus",
    "load_plane",
    "open_fits",
    "plane_at",
    "read_plane",
]

_KINDS = ("image", "mask", "variance")
_BITPIX = (8, 16, 32, 64, -32, -64)
_BLOCK = 2880
DAMAGE_ERRORS = (
    VerifyError,
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    OSError,
    EOFError,
    zlib.error,
)
"""What astropy and numpy raise on damaged bytes, beyond the cases checked explicitly."""


@dataclass(frozen=True)
class Plane:
    """A 2-D image HDU: where it is, its (decompressed) header and its array shape."""

    index: int
    hdu: Any
    header: fits.Header
    shape: tuple[int, int]
    compressed: bool

    @property
    def bitpix(self) -> int:
        """FITS BITPIX of the stored pixels (of the image, not the table, if compressed)."""
        return int(self.header["BITPIX"])


@contextmanager
def open_fits(path: str | os.PathLike) -> Iterator[fits.HDUList]:
    """Open ``path`` lazily, memory-mapped, unscaled and with compressed planes as tables.

    Raises FileNotFoundError for a missing file and FormatError for anything that is not
    a readable FITS file. Inside the ``with`` body, any failure astropy or numpy raises
    on damaged content (unparsable cards, corrupt gzip streams, missing structural keys)
    also becomes a FormatError naming the file; specific checks in :func:`plane_at` give
    the HDU and key where they can.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such FITS file: {path}")
    if path.is_dir():
        raise FormatError(path, "is a folder, not a FITS file")
    try:
        with warnings.catch_warnings():
            # Truncation is reported precisely per plane by read_plane.
            warnings.simplefilter("ignore", AstropyUserWarning)
            hdul = fits.open(
                path,
                memmap=True,
                do_not_scale_image_data=True,
                disable_image_compression=True,
                lazy_load_hdus=True,
            )
    except DAMAGE_ERRORS as exc:
        raise FormatError(path, f"not a readable FITS file ({exc})", hdu=0) from None
    try:
        with warnings.catch_warnings():
            # astropy narrates its fixes of non-standard cards; a card it cannot fix is
            # reported below, naming it
            warnings.simplefilter("ignore", VerifyWarning)
            yield hdul
    except FormatError:
        raise
    except DAMAGE_ERRORS as exc:
        if isinstance(exc, VerifyError):
            _name_the_bad_card(path, hdul)
        raise FormatError(
            path, f"the file is corrupt ({type(exc).__name__}: {exc}); download it again"
        ) from exc
    finally:
        hdul.close()


def _name_the_bad_card(path: Path, hdul: fits.HDUList) -> None:
    """Raise the FormatError naming the first unparsable card of the HDUs read so far.

    Cards are parsed when first used, not all at open (astropy's parsing of every value
    costs more than reading a BackgroundList); only when one fails is every header checked.
    """
    try:
        count = len(hdul)
    except DAMAGE_ERRORS:
        return  # the headers themselves cannot be listed: the caller's message says so
    for index in range(count):
        try:
            header = hdul[index].header
        except DAMAGE_ERRORS:
            return
        checked_header(path, header, index)


def _hdu(path, hdul: fits.HDUList, index: int):
    """HDU ``index`` or None past the end; a corrupt or cut-off header raises FormatError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            return hdul[index]
    except IndexError:
        _check_end(path, hdul, index)
        return None
    except DAMAGE_ERRORS as exc:
        raise FormatError(
            path, f"header cannot be read ({exc}); the file is corrupt or truncated", hdu=index
        ) from None


def checked_header(path: str | os.PathLike, header: fits.Header, index: int) -> fits.Header:
    """``header`` after parsing every card; an unparsable one raises FormatError naming it."""
    with warnings.catch_warnings():
        # astropy narrates its attempted fix; our error below says it better.
        warnings.simplefilter("ignore", VerifyWarning)
        for card in header.cards:
            try:
                card.value  # noqa: B018 - parsing is the point
            except VerifyError:
                raise FormatError(
                    path,
                    f"card cannot be parsed: {card.image.strip()!r}",
                    hdu=index,
                    key=card.keyword,
                ) from None
    return header


def _structure(path, header: fits.Header, index: int, prefix: str = "") -> tuple[int, int]:
    """Check BITPIX and the two axis lengths; return the array shape ``(NAXIS2, NAXIS1)``."""
    bitpix = header.get(f"{prefix}BITPIX")
    if bitpix not in _BITPIX:
        raise FormatError(
            path,
            f"{prefix}BITPIX = {bitpix!r} is not a FITS pixel type",
            hdu=index,
            key=f"{prefix}BITPIX",
        )
    shape = []
    for axis in (2, 1):
        length = header.get(f"{prefix}NAXIS{axis}")
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise FormatError(
                path,
                f"{prefix}NAXIS{axis} = {length!r} is not an axis length",
                hdu=index,
                key=f"{prefix}NAXIS{axis}",
            )
        shape.append(length)
    return shape[0], shape[1]


def _check_end(path, hdul: fits.HDUList, index: int) -> None:
    """Raise if HDU ``index`` was begun but cannot be read (astropy then just stops listing)."""
    previous = hdul[index - 1] if index else None
    if previous is None or not hasattr(previous, "fileinfo") or not _is_plain_fits(path):
        return
    info = previous.fileinfo()
    with open(path, "rb") as stream:
        stream.seek(info["datLoc"] + info["datSpan"])
        if stream.read(8) == b"XTENSION":
            raise FormatError(
                path,
                "header is cut off or corrupt (no END card); the file is "
                "truncated, download it again",
                hdu=index,
            )


def check_whole_blocks(path: str | os.PathLike) -> None:
    """Raise FormatError if a plain FITS file is not a whole number of 2880-byte blocks.

    Every FITS writer pads to whole blocks, so a ragged size means a cut-off download
    even when the cut falls in padding or in HDUs we do not read. Readers call this
    after their precise per-HDU checks, which name the HDU at fault.
    """
    size = os.path.getsize(path)
    if size % _BLOCK and _is_plain_fits(path):
        raise FormatError(
            path,
            f"file size {size} bytes is not a whole number of {_BLOCK}-byte "
            "FITS blocks: the file is truncated; download it again",
        )


def count_hdus(path: str | os.PathLike, hdul: fits.HDUList) -> int:
    """The number of HDUs; a cut-off or corrupt header raises FormatError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            count = len(hdul)
    except (OSError, ValueError) as exc:
        raise FormatError(
            path, f"HDU headers cannot be read ({exc}); the file is corrupt or truncated"
        ) from None
    _check_end(path, hdul, count)
    return count


def plane_at(path: str | os.PathLike, hdul: fits.HDUList, index: int) -> Plane | None:
    """HDU ``index`` as a :class:`Plane` if it holds a 2-D image, else None (also past the end)."""
    hdu = _hdu(path, hdul, index)
    if hdu is None:
        return None
    if not isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.BinTableHDU):
        if type(hdu).__name__ == "_CorruptedHDU":
            raise FormatError(
                path, "HDU is corrupt (its header does not describe its data)", hdu=index
            )
        return None
    header = hdu.header
    if isinstance(hdu, fits.BinTableHDU) and header.get("ZIMAGE") is True:
        if header.get("ZNAXIS") != 2:
            return None
        shape = _structure(path, header, index, "Z")
        try:
            image_header = fits.CompImageHDU(bintable=hdu).header
        except DAMAGE_ERRORS as exc:
            raise FormatError(
                path, f"compressed image header is invalid ({exc})", hdu=index
            ) from None
        return Plane(index, hdu, image_header, shape, True)
    if isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU) and header.get("NAXIS") == 2:
        return Plane(index, hdu, header, _structure(path, header, index), False)
    return None


def _is_plain_fits(path) -> bool:
    """True unless the whole file is gzip/bzip2/zip-compressed (astropy opens those too)."""
    with open(path, "rb") as stream:
        return stream.read(6) == b"SIMPLE"


def _raw(path, plane: Plane) -> np.ndarray:
    """The stored pixels, unscaled (BZERO/BSCALE not applied)."""
    # Byte offsets (truncation check, direct heap reads) only mean something in a plain file.
    plain = _is_plain_fits(path)
    if plane.compressed:
        fast = decompress_row_tiles(path, plane.index, plane.hdu, plane.header) if plain else None
        if fast is not None:
            return fast
        try:
            hdu = fits.CompImageHDU(bintable=plane.hdu, do_not_scale_image_data=True)
            return np.asarray(hdu.data)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise FormatError(
                path, f"compressed plane cannot be decompressed ({exc})", hdu=plane.index
            ) from None
    if plain:
        needed = (
            plane.hdu.fileinfo()["datLoc"]
            + plane.shape[0] * plane.shape[1] * abs(plane.bitpix) // 8
        )
        size = os.path.getsize(path)
        if needed > size:
            raise FormatError(
                path,
                f"file is truncated: the plane needs {needed} bytes, the "
                f"file has {size}; download it again",
                hdu=plane.index,
            )
    try:
        return plane.hdu.data
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        raise FormatError(path, f"pixels cannot be read ({exc})", hdu=plane.index) from None


def check_pixel_type(
    path: str | os.PathLike, plane: Plane, label: str, *, floats: bool = False
) -> None:
    """Raise FormatError if the stored pixel type does not suit the plane.

    A plane whose ``label`` ends in ``mask`` must hold integers; with ``floats`` every
    other plane must hold floats (BackgroundList files), otherwise any type is accepted.
    """
    is_mask = label.endswith("mask")
    if (plane.bitpix > 0) == is_mask or not (floats or is_mask):
        return
    wanted = "integer" if is_mask else "float"
    raise FormatError(
        path,
        f"{label} plane has BITPIX {plane.bitpix}; afw writes {wanted} pixels here",
        hdu=plane.index,
        key="BITPIX",
    )


def read_plane(path: str | os.PathLike, plane: Plane, kind: str) -> np.ndarray:
    """The plane as afw holds it: float32 for ``image``/``variance``, int32 bits for ``mask``.

    Arrays are native byte order. Integer planes get BZERO/BSCALE applied exactly
    (int16 + BZERO=32768 masks become their uint16 bit patterns); ``BLANK`` in a float
    plane's integer storage becomes NaN, in a mask it is kept as bits.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}")
    raw = _raw(path, plane)
    header = plane.header
    bscale, bzero = header.get("BSCALE", 1), header.get("BZERO", 0)
    if kind == "mask":
        check_pixel_type(path, plane, "mask")
        if bscale != 1 or bzero != int(bzero):
            raise FormatError(
                path,
                f"mask plane is scaled (BSCALE={bscale}, BZERO={bzero}); "
                "mask bits must be integers",
                hdu=plane.index,
                key="BSCALE",
            )
        if bzero == 0:
            return raw.astype(np.int32)
        # int64 holds the offset sum; the cast to int32 keeps the low 32 bits = the mask bits.
        return (raw.astype(np.int64) + int(bzero)).astype(np.int32)
    if raw.dtype.kind == "f" and bscale == 1 and bzero == 0:
        return raw.astype(np.float32)
    values = raw.astype(np.float64) * bscale + bzero
    blank = header.get("BLANK")
    if raw.dtype.kind in "iu" and blank is not None:
        values[raw == blank] = np.nan
    return values.astype(np.float32)


def load_plane(path: str | os.PathLike, index: int, kind: str) -> np.ndarray:
    """Open ``path`` and read HDU ``index`` as a ``kind`` plane (for lazy mask/variance)."""
    with open_fits(path) as hdul:
        plane = plane_at(path, hdul, index)
        if plane is None:
            raise FormatError(path, f"HDU {index} no longer holds a 2-D {kind} plane", hdu=index)
        return read_plane(path, plane, kind)
