"""Exception types raised by the adapter layer.

Every error a user can trigger with bad input or an unreachable service is one of
these, with a message that names what is wrong and what to do next.
"""

from __future__ import annotations

import os

__all__ = [
    "AmbiguousProduct",
    "AuthError",
    "EstimateError",
    "FormatError",
    "GridMismatch",
    "MissingDependency",
    "ProductNotFound",
    "RenderError",
    "ServiceError",
    "SkybkgError",
    "UnitMismatch",
    "UnsupportedComponent",
]


class SkybkgError(Exception):
    """Base class of every error glue-skybkg raises on purpose."""


class FormatError(SkybkgError, ValueError):
    """A file is not the LSST/afw FITS layout it claims to be.

    Parameters
    ----------
    path
        The file at fault.
    problem
        What is wrong, in words a user can act on.
    hdu
        The 0-based HDU index at fault, if one is.
    key
        The header keyword at fault, if one is.
    node
        The JSON node at fault in a file with a JSON tree (Rubin's lsst-images format), as a
        dotted path from the root such as ``backgrounds.fields.skyCorr.operands[1].data``;
        ``""`` is the root itself.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        problem: str,
        *,
        hdu: int | None = None,
        key: str | None = None,
        node: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.hdu = hdu
        self.key = key
        self.node = node
        where = self.path
        if hdu is not None:
            where += f", HDU {hdu}"
        if key is not None:
            where += f", key {key}"
        if node is not None:
            where += f", JSON node {node or '(root)'}"
        super().__init__(f"{where}: {problem}")


class UnitMismatch(SkybkgError, ValueError):
    """Two things cannot be combined: their units differ and no calibration links them.

    The message says which units, why no conversion is known (e.g. a DP1 visit image whose
    attached calibration is the identity) and what to give instead, in Python's words
    (``calibration=``); :attr:`reason` is the why alone, for a front end to add its own
    words for what to do.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class RenderError(SkybkgError, ValueError):
    """A background cannot be rendered as requested (afw would raise too)."""


class EstimateError(SkybkgError, ValueError):
    """A background cannot be estimated as asked: unknown setting, mask plane or statistic."""


class ProductNotFound(SkybkgError, LookupError):
    """No product matches the dataset type and data id asked for."""


class AmbiguousProduct(SkybkgError, LookupError):
    """More than one product matches; the message lists how to narrow the data id."""


class AuthError(SkybkgError, PermissionError):
    """A service refused our credentials (or we had none)."""


class ServiceError(SkybkgError, ConnectionError):
    """A remote service failed after retries; the message has the status and URL (no secrets)."""


class MissingDependency(SkybkgError, ImportError):
    """An optional extra is needed for this feature; the message says which to install."""


class GridMismatch(SkybkgError, ValueError):
    """Two images (or an image and a background) do not cover the same pixels of the sky."""


class UnsupportedComponent(SkybkgError, NotImplementedError):
    """A file's object is valid but cannot be evaluated without the LSST stack (AST).

    Parameters
    ----------
    path
        The file holding the object.
    name
        The archive class name, e.g. ``'PixelAreaBoundedField'``.
    object_id
        The object's archive id.
    reason
        Why it cannot be evaluated and what to do instead.
    """

    def __init__(
        self, path: str | os.PathLike[str], name: str, object_id: int, reason: str
    ) -> None:
        self.path = str(path)
        self.name = name
        self.object_id = object_id
        self.reason = reason
        super().__init__(
            f"{self.path}: archive object {object_id} ({name}) is not supported: {reason}"
        )
