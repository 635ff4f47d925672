"""The container behind each glue Data this plugin makes: the SkyImage it was read into.

glue Data hold arrays; the container also holds what the actions need and a Data cannot
(the photometric scaling, the named backgrounds of a DP2 file, the detector). The link is
kept for as long as the Data lives (weakly, so closing a Data frees its container), and it
is made again whenever glue re-runs a data factory (opening a file, restoring a session).
A restored session's Data is glue's own copy: it is found through the load log of its
components, which keeps the Data the factory made.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from glue.core import Data

from skybkg_adapters import SkyImage

__all__ = ["remember_image", "sky_image"]

_IMAGES: WeakKeyDictionary[Data, SkyImage] = WeakKeyDictionary()


def remember_image(data: Data, image: SkyImage) -> None:
    """Record that ``data`` shows ``image``."""
    _IMAGES[data] = image


def sky_image(data: Data) -> SkyImage | None:
    """The SkyImage ``data`` shows, or None (a Data this plugin did not make from one)."""
    image = _IMAGES.get(data)
    if image is not None:
        return image
    for cid in data.components:
        log = getattr(data.get_component(cid), "_load_log", None)
        for loaded in getattr(log, "data", ()):
            image = _IMAGES.get(loaded)
            if image is not None:
                _IMAGES[data] = image
                return image
    return None
