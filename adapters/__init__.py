"""skybkg_adapters: LSST calexp, background and coadd products from files, Butlers and the RSP.

The public API is the uniform container (:class:`SkyImage`, :class:`BackgroundModel`,
:class:`Provenance`), the afw FITS readers and writers, background rendering exactly as
``lsst.afw`` does, and :func:`open_source` for every kind of data source.
"""

from .container import BackgroundLayer, BackgroundMap, BackgroundModel, BBox, Provenance, SkyImage
from .errors import (
    AmbiguousProduct,
    AuthError,
    FormatError,
    MissingDependency,
    ProductNotFound,
    RenderError,
    ServiceError,
    SkybkgError,
)
from .lsst_fits import (
    detect_kind,
    open_product,
    read_background,
    read_exposure,
    write_background,
    write_exposure,
)
from .sources import ButlerSource, LocalSource, TapSource, create_butler_repo, open_source
from .styles import ApproxStyle, InterpStyle, UndersampleStyle

__all__ = [
    "BBox",
    "Provenance",
    "SkyImage",
    "BackgroundLayer",
    "BackgroundModel",
    "BackgroundMap",
    "bin_centers",
    "render_layers",
    "InterpStyle",
    "UndersampleStyle",
    "ApproxStyle",
    "SkybkgError",
    "FormatError",
    "RenderError",
    "ProductNotFound",
    "AmbiguousProduct",
    "AuthError",
    "ServiceError",
    "MissingDependency",
    "read_exposure",
    "write_exposure",
    "read_background",
    "write_background",
    "detect_kind",
    "open_product",
    "open_source",
    "LocalSource",
    "ButlerSource",
    "TapSource",
    "create_butler_repo",
]


_LAZY = {"bin_centers": "render", "render_layers": "render"}
"""Names whose module is imported on first use: render compiles numba kernels, which
``import skybkg_adapters`` (e.g. glue loading the plugin) should not pay for."""


def __getattr__(name: str) -> object:
    """Import a :data:`_LAZY` name's module on first use (PEP 562); other names do not exist."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names including the lazy ones, so ``dir()`` and completion list them."""
    return sorted({*globals(), *_LAZY})
