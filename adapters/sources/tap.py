"""Products from a TAP service's ObsCore table, followed through DataLink to the file."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..dataset_types import parent_and_component, product_kind
from ..errors import AmbiguousProduct, AuthError, ProductNotFound, ServiceError
from ..lsst_images import is_lsst_images
from .base import load_product
from .butler import ButlerSource
from .data_id import DataId
from .datalink import this_link
from .http import HttpClient
from .tokens import strip_url_secrets

if TYPE_CHECKING:  # pyvo is imported on first query, not with the module
    import pyvo

__all__ = ["OBSCORE_COLUMNS", "OBSCORE_SUBTYPES", "TapSource"]

_log = logging.getLogger(__name__)

OBSCORE_SUBTYPES = {
    # DP0.2 (dax_obscore configs/dp02.yaml)
    "raw": "lsst.raw",
    "calexp": "lsst.calexp",
    "deepCoadd_calexp": "lsst.deepCoadd_calexp",
    "goodSeeingCoadd": "lsst.goodSeeingCoadd",
    "goodSeeingDiff_differenceExp": "lsst.goodSeeingDiff_differenceExp",
    # DP1 (dax_obscore configs/dp1.yaml)
    "visit_image": "lsst.visit_image",
    "deep_coadd": "lsst.deep_coadd",
    "template_coadd": "lsst.template_coadd",
    "difference_image": "lsst.difference_image",
}
"""Dataset type -> ObsCore ``dataproduct_subtype``: the only products the RSP lists in ObsCore."""

OBSCORE_COLUMNS = {
    "visit": "lsst_visit",
    "detector": "lsst_detector",
    "tract": "lsst_tract",
    "patch": "lsst_patch",
    "band": "lsst_band",
    "physical_filter": "lsst_filter",
    "instrument": "instrument_name",
}
"""Data-id key -> ObsCore column selecting it."""

_INTEGER_KEYS = {"visit", "detector", "tract", "patch"}
# ObsCore has no column for these; the subtype already pins them on the RSP.
_IGNORED_KEYS = {"skymap"}
_RESULT_COLUMNS = (
    "access_url",
    "access_format",
    "obs_id",
    "dataproduct_subtype",
    "lsst_visit",
    "lsst_detector",
    "lsst_tract",
    "lsst_patch",
    "lsst_band",
)


class TapSource:
    """Images found in a TAP service's ObsCore table and downloaded through DataLink.

    DP0.2/DP1 backgrounds (and ``deepCoadd``) are not in ObsCore; pair the source with a
    :class:`~skybkg_adapters.sources.butler.ButlerSource` of the same service to get them.
    A DP2 image's ``#this`` file carries its named backgrounds (``visit_image.backgrounds``,
    or ``.backgrounds`` of the image), so DP2 needs no Butler.

    Parameters
    ----------
    tap_url
        The TAP service, e.g. ``"https://data.lsst.cloud/api/tap"``.
    token
        Bearer token; default ``$ACCESS_TOKEN`` / ``$BUTLER_RUBIN_ACCESS_TOKEN``. Sent only
        to the TAP service's host, never to the presigned file links.
    butler
        Where dataset types ObsCore does not have (backgrounds) come from: a
        :class:`~skybkg_adapters.sources.butler.ButlerSource`, a Butler object, or a
        ``"butler:<repo>?collections=..."`` spec.
    table
        The ObsCore table (``"dp02_dc2_catalogs.ObsCore"`` for older DP0.2 services).
    http
        The HTTP layer; default one built from ``token`` and ``http_options``.
    http_options
        Keyword arguments for :class:`HttpClient`: ``timeout``, ``retries``, ``backoff``,
        ``cache``.

    Examples
    --------
    >>> src = TapSource("https://data.lsst.cloud/api/tap",                # doctest: +SKIP
    ...                 butler=ButlerSource("dp02", collections="2.2i/runs/DP0.2"))
    >>> src.get("calexp", {"visit": 512055, "detector": 75})              # doctest: +SKIP
    """

    def __init__(
        self,
        tap_url: str,
        token: str | None = None,
        butler: Any = None,
        *,
        table: str = "ivoa.ObsCore",
        http: HttpClient | None = None,
        **http_options: Any,
    ):
        self.tap_url = tap_url.rstrip("/")
        host = urlsplit(self.tap_url).hostname or ""
        self.http = http if http is not None else HttpClient(token, {host}, **http_options)
        self.butler = _butler_source(butler)
        self.table = table
        self.spec = strip_url_secrets(self.tap_url)
        self._service = None

    def __repr__(self) -> str:
        paired = f", butler={self.butler!r}" if self.butler is not None else ""
        return f"TapSource({self.spec!r}{paired})"

    @property
    def service(self) -> pyvo.dal.TAPService:
        """The pyvo ``TAPService``, talking through our session (token, retries, timeouts)."""
        if self._service is None:
            import pyvo

            self._service = pyvo.dal.TAPService(self.tap_url, session=self.http.session)
        return self._service

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel | BackgroundMap:
        """The product of ``dataset_type`` for ``data_id``: ObsCore, DataLink, download, read.

        A component (``visit_image.backgrounds``) is read from its image's ``#this`` file when
        that is a DP2 file; a DP1 (afw) image carries none, and the paired Butler is asked.
        """
        parent, component = parent_and_component(dataset_type)
        subtype = OBSCORE_SUBTYPES.get(parent)
        if subtype is None:
            if self.butler is not None:
                return self.butler.get(dataset_type, data_id)
            raise ProductNotFound(self._not_in_obscore(dataset_type))
        row = self.find(subtype, data_id)
        access_url = row.get("access_url")
        if not access_url:
            raise ServiceError(f"The ObsCore row of {subtype} {dict(data_id)} has no access_url.")
        links = self.http.get(access_url)
        link = this_link(links.content, access_url)
        path = self.http.fetch(link.url, link.content_length)
        if component is not None and not is_lsst_images(path):
            if self.butler is not None:
                return self.butler.get(dataset_type, data_id)
            raise ProductNotFound(
                f"the {parent} file of {dict(data_id)} at {self.spec} is an afw (DP0.2/DP1) "
                f"file, which carries no {component}. {self._not_in_obscore(dataset_type)}"
            )
        # The DataLink URL (with its dataset ID) re-resolves later; the presigned link expires.
        provenance = Provenance(self.spec, dataset_type, dict(data_id), access_url)
        return load_product(path, dataset_type, provenance)

    def find(self, subtype: str, data_id: DataId) -> dict[str, Any]:
        """The one ObsCore row of ``subtype`` for ``data_id``.

        Raises
        ------
        ProductNotFound
            No row; the message lists the subtypes that exist for the data id.
        AmbiguousProduct
            Several rows; the message lists them and the keys that tell them apart.
        """
        where = self._constraints(data_id)
        rows = self.query(
            f"SELECT {', '.join(_RESULT_COLUMNS)} FROM {self.table} "
            f"WHERE {' AND '.join([f'dataproduct_subtype = {_literal(subtype)}', *where])}"
        )
        if len(rows) == 1:
            return rows[0]
        asked = f"{subtype} {dict(data_id)}"
        if rows:
            listing = "\n".join(
                "  " + ", ".join(f"{c}={r[c]}" for c in _RESULT_COLUMNS[2:] if r.get(c) is not None)
                for r in rows[:8]
            )
            raise AmbiguousProduct(
                f"{len(rows)} ObsCore rows at {self.spec} match {asked}:\n{listing}\n"
                "Add the keys that differ (band, detector, ...) to the data id."
            )
        present = self.query(
            f"SELECT DISTINCT dataproduct_subtype FROM {self.table}"
            + (f" WHERE {' AND '.join(where)}" if where else "")
        )
        kinds = sorted(str(r["dataproduct_subtype"]) for r in present)
        raise ProductNotFound(
            f"ObsCore at {self.spec} has no {asked}. For that data id it has: "
            f"{', '.join(kinds) or 'nothing (check the values)'}."
        )

    def query(self, adql: str) -> list[dict[str, Any]]:
        """Run ``adql`` synchronously; rows as dicts of plain Python values."""
        from pyvo.dal import DALAccessError

        _log.debug("TAP %s: %s", self.spec, adql)
        try:
            table = self.service.run_sync(adql).to_table()
        except DALAccessError as exc:
            raise self._tap_failure(exc) from None
        except requests.RequestException as exc:
            raise self.http.failure(self.tap_url, exc) from None
        return [{name: _plain(row[name]) for name in table.colnames} for row in table]

    def _tap_failure(self, exc) -> Exception:
        cause = getattr(exc, "cause", None)
        response = getattr(cause, "response", None)
        if response is not None:
            try:
                self.http.check(response)
            except (AuthError, ServiceError) as ours:
                return ours
        if isinstance(cause, requests.RequestException):
            return self.http.failure(self.tap_url, cause)
        reason = self.http.redact(str(getattr(exc, "reason", exc)))
        return ServiceError(f"The TAP query to {self.spec} failed: {reason}")

    def _constraints(self, data_id: DataId) -> list[str]:
        where = []
        for key, value in data_id.items():
            if key in _IGNORED_KEYS:
                continue
            column = OBSCORE_COLUMNS.get(key)
            if column is None:
                raise ProductNotFound(
                    f"ObsCore cannot select by {key!r}; use the keys {sorted(OBSCORE_COLUMNS)}."
                )
            if key in _INTEGER_KEYS:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise ProductNotFound(f"{key} must be an integer; got {value!r}") from None
            where.append(f"{column} = {_literal(value)}")
        return where

    def _not_in_obscore(self, dataset_type: str) -> str:
        pair = (
            f"Pair this source with the Butler of the same service, e.g. TapSource({self.spec!r}, "
            "butler=ButlerSource('dp02', collections='2.2i/runs/DP0.2')) (DP1: "
            "ButlerSource('dp1', collections='LSSTComCam/DP1'))."
        )
        if product_kind(dataset_type) == "background":
            return (
                f"{dataset_type} is a background; DP0.2/DP1 backgrounds are not published in "
                f"ObsCore, so a TAP service alone cannot serve them. {pair} DP2 images carry "
                "their own: ask for visit_image.backgrounds (or deep_coadd.backgrounds)."
            )
        if dataset_type == "deepCoadd":
            return (
                "deepCoadd is not published in ObsCore (DP0.2 lists deepCoadd_calexp, the "
                f"background-subtracted coadd). {pair}"
            )
        return (
            f"{dataset_type} is not an ObsCore product type; ObsCore has "
            f"{sorted(OBSCORE_SUBTYPES)}. {pair}"
        )


def _butler_source(butler: Any) -> Any:
    """``butler`` as a source: Butler objects and ``butler:`` specs become ButlerSources.

    A raw Butler's own ``get`` would return lsst.afw objects; ours reads with our readers.
    """
    if butler is None or isinstance(butler, ButlerSource):
        return butler
    if hasattr(butler, "getURI"):
        return ButlerSource(butler)
    if isinstance(butler, str):
        return ButlerSource.from_spec(butler)
    return butler


def _literal(value: Any) -> str:
    """``value`` as an ADQL literal (strings quoted, quotes doubled)."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _plain(value: Any) -> Any:
    import numpy as np

    if value is np.ma.masked:
        return None
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
