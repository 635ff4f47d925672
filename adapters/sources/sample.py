"""The sample data set as a source: ``open_source("sample:")``, wherever the sample lives here.

Products fetched from it record the spec ``sample:`` (not this machine's folder), so a glue
session built on the sample reopens on any machine: the sample is found, or generated.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..dataset_types import parent_and_component
from .base import load_product
from .data_id import DataId

if TYPE_CHECKING:
    from ..sample import SampleSet

__all__ = ["SAMPLE_SPEC", "SampleSource"]

SAMPLE_SPEC = "sample:"
"""The spec of the sample at its default place; ``sample:<folder>`` names another folder."""


class SampleSource:
    """The products of the sample data set (:mod:`skybkg_adapters.sample`), generated if missing.

    Parameters
    ----------
    root
        Folder of the sample; default :func:`skybkg_adapters.sample.sample_root`.
    progress
        Show a progress bar if the sample has to be generated first (10-40 s); a
        ``(done, total, step)`` callable is told each step too.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        progress: bool | Callable[[int, int, str], None] = True,
    ):
        # the generator (numba kernels, scene models) is imported only when a sample is used
        from ..sample import ensure_sample

        self.sample: SampleSet = ensure_sample(root, progress=progress)
        self.spec = SAMPLE_SPEC if root is None else f"{SAMPLE_SPEC}{Path(root).expanduser()}"

    def __repr__(self) -> str:
        return f"SampleSource({self.spec!r})"

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel | BackgroundMap:
        """The sample's ``dataset_type`` for ``data_id``; ProductNotFound lists the valid ids.

        A component (``visit_image.backgrounds``) is read from its parent's file; the DP2
        products are written from the DP0.2 ones the first time they are asked for.
        """
        from ..sample import DP2_DATASET_TYPES, dp2_path  # loaded with the sample already

        parent = parent_and_component(dataset_type)[0]
        if parent in DP2_DATASET_TYPES:
            path = dp2_path(self.sample, parent, data_id)
        else:
            path = self.sample.path(parent, data_id)
        provenance = Provenance(self.spec, dataset_type, dict(data_id), path.as_uri())
        return load_product(path, dataset_type, provenance)
