"""Derived images of the background inspection, saved in sessions as recipes.

Each is a :class:`~glue_skybkg.gluedata.DerivedImageLink` computed whole on first access
from other components of the same Data and a few parameters; a session stores the
parameters (:meth:`_RecipeLink.__gluestate__`), never the pixels.

* :class:`EntryLink`: one entry of a background model rendered alone;
* :class:`BinValuesLink`: an entry's stats image at full size, every pixel its bin's value;
* :class:`EstimateLink`: a background re-estimated from the Data's pixels and mask;
* :class:`ResidualLink`: the image minus a large-scale re-estimate, box-smoothed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.core import Data

from skybkg_adapters import (
    IGNORED_PLANES,
    BackgroundModel,
    SkybkgError,
    estimate_background,
    plane_bits,
)

from . import analysis
from .gluedata import MASK, DerivedImageLink, data_bbox, derived_link

__all__ = ["BinValuesLink", "EntryLink", "EstimateLink", "ResidualLink", "model_of"]


def _recipe_using(*_pixels: np.ndarray) -> None:
    """Placeholder ``using``: these links compute from their recipe, not from inputs."""
    raise NotImplementedError("inspection links compute from their recipe; call compute()")


def model_of(data: Data, label: str) -> BackgroundModel:
    """The background model behind component ``label`` (attached or re-estimated)."""
    link = derived_link(data, label)
    model = getattr(link, "model", None)
    if not isinstance(model, BackgroundModel):
        raise SkybkgError(
            f"{data.label!r} has no background model in a {label!r} component; attach its "
            "background (or re-estimate one) first"
        )
    return model


def usable_mask(data: Data, planes: Any) -> np.ndarray | None:
    """True where none of the mask ``planes`` (of those defined) is set; None without a mask."""
    known = data.meta.get("mask_planes") or {}
    bits = plane_bits(known, [p for p in planes if p in known])
    if not bits or MASK not in [c.label for c in data.components]:
        return None
    return (np.asarray(data.get_data(data.id[MASK])) & bits) == 0


class _RecipeLink(DerivedImageLink):
    """A derived image defined by keyword parameters (JSON literals), saved as those."""

    def __init__(self, frm: list, to: Any, **params: Any) -> None:
        super().__init__(frm, to, using=_recipe_using)
        self.params = params

    def __gluestate__(self, context) -> dict:
        return {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "params": self.params,
        }

    @classmethod
    def __setgluestate__(cls, rec: dict, context) -> _RecipeLink:
        return cls(
            [context.object(c) for c in rec["frm"]], context.object(rec["to"]), **rec["params"]
        )


class EntryLink(_RecipeLink):
    """Entry ``entry`` of the model behind component ``model`` (e.g. ``background``), alone."""

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        model = model_of(data, self.params["model"])
        entry = int(self.params["entry"])
        if not 0 <= entry < len(model.layers):
            raise SkybkgError(
                f"{data.label!r}: the {self.params['model']!r} model has "
                f"{len(model.layers)} entries; there is no entry {entry}"
            )
        return model.layers[entry].render(data_bbox(data))


class BinValuesLink(_RecipeLink):
    """The stats image of entry ``entry`` of ``model`` at full size (each pixel its bin's value)."""

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        layer = model_of(data, self.params["model"]).layers[int(self.params["entry"])]
        return analysis.bin_value_image(layer, data_bbox(data))


class EstimateLink(_RecipeLink):
    """A background re-estimated from component ``source`` and the Data's mask.

    ``settings`` are :func:`skybkg_adapters.estimate_background` keyword arguments (JSON
    literals). :attr:`model` is the estimated model (estimated on first use).
    """

    def __init__(self, frm: list, to: Any, **params: Any) -> None:
        super().__init__(frm, to, **params)
        self._model: BackgroundModel | None = None

    @property
    def model(self) -> BackgroundModel:
        """The re-estimated model of the Data this component belongs to."""
        if self._model is None:
            data = self.get_to_id().parent
            self._model = _estimate(data, self.params["source"], self.params["settings"])
        return self._model

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        return self.model.render()


def _estimate(data: Data, source: str, settings: dict[str, Any]) -> BackgroundModel:
    """:func:`estimate_background` of ``data``'s component ``source`` with its own mask."""
    pixels = np.asarray(data.get_data(data.id[source]))
    has_mask = MASK in [c.label for c in data.components]
    mask = np.asarray(data.get_data(data.id[MASK])) if has_mask else None
    known = data.meta.get("mask_planes") or {}
    options = dict(settings)
    # a plane the image does not define is set on no pixel: leaving it out changes nothing
    planes = options.get("ignored_planes", IGNORED_PLANES)
    options["ignored_planes"] = tuple(p for p in planes if p in known) if has_mask else ()
    return estimate_background(
        pixels,
        mask,
        mask_planes=known,
        xy0=data_bbox(data).xy0,
        **options,
    )


class ResidualLink(_RecipeLink):
    """Component ``source`` minus its re-estimate with ``bin_size``, box-smoothed.

    The smoothing (a square of side ``2 half_width + 1``) and the sky both leave out the
    pixels of the mask planes ``planes``, so sources do not fill their own halos.
    """

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        source = self.params["source"]
        planes = tuple(self.params["planes"])
        sky = _estimate(
            data, source, {"bin_size": self.params["bin_size"], "ignored_planes": planes}
        )
        pixels = np.asarray(data.get_data(data.id[source]))
        return analysis.residual_map(
            pixels, sky.render(), usable_mask(data, planes), half_width=self.params["half_width"]
        )
