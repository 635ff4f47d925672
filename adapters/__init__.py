"""skybkg_adapters: LSST calexp, background and coadd products from files, Butlers and the RSP.

The public API is the uniform container (:class:`SkyImage`, :class:`BackgroundModel`,
:class:`BackgroundMap`, :class:`Provenance`, :class:`BBox`), the afw FITS readers and
writers, Rubin's new (DP2, lsst-images) format, background rendering exactly as
``lsst.afw`` and lsst-images do, photometric scalings and unit conversion, and
:func:`open_source` for every kind of data source. The renderer (numba kernels) is
imported on first use.
"""

from . import (
    atomic,
    bins,
    butler_repo,
    container,
    errors,
    estimate,
    geometry,
    identity,
    lsst_fits,
    lsst_images,
    masks,
    semantics,
    sources,
    styles,
    units,
)
from .atomic import *
from .bins import *
from .butler_repo import *
from .container import *
from .errors import *
from .estimate import *
from .geometry import *
from .identity import *
from .lsst_fits import *
from .lsst_images import *
from .masks import *
from .semantics import *
from .sources import *
from .styles import *
from .units import *

_LAZY = {"render_layers": "render"}
"""Names whose module is imported on first use: render compiles numba kernels, which
``import skybkg_adapters`` (e.g. glue loading the plugin) should not pay for (the estimator
compiles its kernels on first call)."""

__all__ = [
    *atomic.__all__,
    *bins.__all__,
    *butler_repo.__all__,
    *container.__all__,
    *errors.__all__,
    *estimate.__all__,
    *geometry.__all__,
    *identity.__all__,
    *lsst_fits.__all__,
    *lsst_images.__all__,
    *masks.__all__,
    *semantics.__all__,
    *sources.__all__,
    *styles.__all__,
    *units.__all__,
    *_LAZY,
]


def __getattr__(name: str) -> object:
    """Import a :data:`_LAZY` name's module on first use (PEP 562); other names do not exist."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names including the lazy ones, so ``dir()`` and completion list them."""
    return sorted({*globals(), *_LAZY})
