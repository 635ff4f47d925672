"""Products from a Butler repository: resolved with ``getURI``, read by our readers.

Each file is read by content (afw or DP2 lsst-images), whatever its dataset type; a DP2
component such as ``visit_image.backgrounds`` resolves to the image's own file. For a DP1
visit image (nJy pixels, identity PhotoCalib) the calibration a counts background needs is
read, on first use, from the repository's ``visit_summary`` row of that detector.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..errors import AmbiguousProduct, MissingDependency, ProductNotFound, ServiceError
from ..lsst_fits import read_visit_summary_calibration
from ..units import PhotometricScaling, is_flux_unit
from .base import load_product
from .data_id import DataId
from .http import HttpClient
from .tokens import strip_url_secrets

__all__ = ["GOVERNORS", "SPEC_PREFIX", "ButlerSource"]

SPEC_PREFIX = "butler:"
"""How a source spec names a Butler repository: ``butler:<repo>?collections=...``."""

GOVERNORS = ("instrument", "skymap")
"""Governor dimensions a notebook data id usually leaves out; filled when the repository has one."""

_INSTALL = "pip install 'glue-skybkg[butler]'"


class ButlerSource:
    """Products of a Butler repository (local sqlite/Postgres or a remote Butler server).

    Parameters
    ----------
    repo_or_butler
        A repository path, URI or label (``"dp02"`` on the Rubin Science Platform), or an
        existing ``Butler`` or any object with ``getURI(dataset_type, data_id)``.
    collections
        Collections to search, e.g. ``"2.2i/runs/DP0.2"``; for a Butler object, default
        its own default collections.
    http
        The HTTP layer for ``https`` URIs (remote Butler presigned links); default one
        with the token from the environment and no host allowed to receive it.

    Examples
    --------
    >>> src = ButlerSource("/data/repo", collections="2.2i/runs/DP0.2")   # doctest: +SKIP
    >>> src.get("calexp", {"visit": 512055, "detector": 75})              # doctest: +SKIP
    """

    def __init__(
        self,
        repo_or_butler: Any,
        collections: str | list[str] | None = None,
        *,
        http: HttpClient | None = None,
    ):
        # Collections given with a Butler object are passed to each getURI call.
        self._search: dict[str, Any] = {}
        if hasattr(repo_or_butler, "getURI"):
            self.butler = repo_or_butler
            label = _label_of(repo_or_butler)
            if collections:
                self._search = {"collections": collections}
            collections = collections or _collections_of(repo_or_butler)
        else:
            label = os.fspath(repo_or_butler)
            self.butler = _open_butler(label, collections)
        if isinstance(collections, str):
            collections = [collections]
        self.collections = list(collections or [])
        self.http = http if http is not None else HttpClient()
        query = f"?collections={','.join(self.collections)}" if self.collections else ""
        self.spec = f"butler:{strip_url_secrets(label)}{query}"
        self._governor_values: dict[str, list[str]] = {}

    def __repr__(self) -> str:
        return f"ButlerSource({self.spec!r})"

    @classmethod
    def from_spec(cls, spec: str, **options: Any) -> ButlerSource:
        """The source a ``"butler:<repo or label>?collections=a,b"`` spec names.

        The ``butler:`` prefix may be left out (``"dp02?collections=2.2i/runs/DP0.2"``);
        ``collections`` in ``options`` win over the spec's.
        """
        if not spec.startswith(SPEC_PREFIX):
            spec = SPEC_PREFIX + spec
        parts = urlsplit(spec[len(SPEC_PREFIX) :])
        repo = parts._replace(query="", fragment="").geturl()
        values = parse_qs(parts.query).get("collections", [])
        collections = [c for v in values for c in v.split(",")]
        if collections:
            options.setdefault("collections", collections)
        return cls(repo, **options)

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel | BackgroundMap:
        """The product of ``dataset_type`` for ``data_id`` (governors filled if unambiguous)."""
        full_id = self.complete_data_id(dataset_type, data_id)
        uri = self.uri(dataset_type, full_id)
        provenance = Provenance(self.spec, dataset_type, dict(data_id), strip_url_secrets(uri))
        product = load_product(self._local(uri), dataset_type, provenance)
        if (
            isinstance(product, SkyImage)
            and product.tree is None
            and is_flux_unit(product.unit)
            and product.has_detector()
        ):
            own = product.deferred_photometric_scaling()
            product.photometric_scaling = lambda: self._calibration(own(), full_id)
        return product

    def visit_summary_calibration(self, data_id: DataId) -> PhotometricScaling | None:
        """The detector's calibration from the visit's ``visit_summary``, or None without one.

        ``data_id`` needs ``visit`` and ``detector`` (``instrument`` is filled if unique).
        """
        if "visit_summary" not in {dt.name for dt in self._dataset_types()}:
            return None
        summary_id = {k: v for k, v in data_id.items() if k in ("instrument", "visit")}
        summary_id = self.complete_data_id("visit_summary", summary_id)
        try:
            uri = self.uri("visit_summary", summary_id)
        except ProductNotFound:
            return None
        return read_visit_summary_calibration(self._local(uri), int(data_id["detector"]))

    def _calibration(
        self, own: PhotometricScaling | None, data_id: DataId
    ) -> PhotometricScaling | None:
        """The image's own calibration, or the visit_summary's where the own is the identity."""
        if own is not None and not own.is_identity:
            return own
        return self.visit_summary_calibration(data_id) or own

    def uri(self, dataset_type: str, data_id: DataId) -> str:
        """The URI the Butler gives for the product (a file path or a presigned https URL)."""
        try:
            found = self.butler.getURI(dataset_type, dict(data_id), **self._search)
        except LookupError as exc:
            raise ProductNotFound(
                f"The Butler {self.spec} has no {dataset_type} for {dict(data_id)}. "
                + self._what_exists(dataset_type, data_id, exc)
            ) from None
        return str(found.geturl() if hasattr(found, "geturl") else found)

    def complete_data_id(self, dataset_type: str, data_id: DataId) -> dict[str, Any]:
        """``data_id`` with the governor dimensions it lacks, when the repository has one value.

        Raises
        ------
        AmbiguousProduct
            The repository has several values of a missing governor; they are listed.
        """
        full = dict(data_id)
        needed = self._required_dimensions(dataset_type)
        for governor in GOVERNORS:
            if governor in full or (needed is not None and governor not in needed):
                continue
            values = self._values(governor)
            if values is None:
                continue
            if len(values) == 1:
                full[governor] = values[0]
            elif needed is not None:
                raise AmbiguousProduct(
                    f"The Butler {self.spec} has several {governor} values {values}; add "
                    f"{governor!r} to the data id {dict(data_id)}."
                )
        return full

    def _required_dimensions(self, dataset_type: str) -> set[str] | None:
        try:
            registered = self.butler.get_dataset_type(dataset_type)
        except AttributeError:
            return None
        except LookupError:
            raise ProductNotFound(
                f"The Butler {self.spec} has no dataset type {dataset_type!r}; it has "
                f"{[dt.name for dt in self._dataset_types()]}."
            ) from None
        return set(registered.dimensions.required)

    def _values(self, governor: str) -> list[str] | None:
        if governor not in self._governor_values:
            try:
                records = self.butler.query_dimension_records(governor, explain=False)
            except AttributeError:
                return None
            self._governor_values[governor] = sorted(str(r.name) for r in records)
        return self._governor_values[governor]

    def _dataset_types(self) -> list:
        try:
            return sorted(self.butler.registry.queryDatasetTypes(), key=lambda dt: dt.name)
        except AttributeError:
            return []

    def _what_exists(self, dataset_type: str, data_id: DataId, exc: Exception) -> str:
        if not hasattr(self.butler, "query_datasets"):
            return str(exc)
        present = []
        keys = set(data_id)
        for registered in self._dataset_types():
            # Only types whose data id the given one can fill: one query each, not hundreds.
            if registered.name == dataset_type or not set(registered.dimensions.required) <= keys:
                continue
            found = self.butler.query_datasets(
                registered.name, data_id=dict(data_id), limit=1, explain=False
            )
            if found:
                present.append(registered.name)
        others = self.butler.query_datasets(dataset_type, limit=6, explain=False)
        text = f"For that data id it has: {', '.join(present) or 'nothing'}."
        if others:
            ids = "; ".join(str(ref.dataId.mapping) for ref in others[:5])
            text += f" Some {dataset_type} data ids it has: {ids}."
        return text

    def _local(self, uri: str) -> Path:
        """A local path holding the file at ``uri`` (downloaded through the cache if remote)."""
        parts = urlsplit(uri)
        if parts.scheme in ("", "file"):
            return Path(unquote(parts.path))
        if parts.scheme in ("http", "https"):
            return self.http.fetch(uri)
        raise ServiceError(
            f"The Butler {self.spec} stores {parts.scheme}:// files; only "
            "local files and http(s) links (remote Butler servers) can be read."
        )


def _open_butler(repo: str, collections: str | list[str] | None):
    try:
        from lsst.daf.butler import Butler
    except ImportError:
        raise MissingDependency(
            f"Reading a Butler repository needs lsst-daf-butler: {_INSTALL}"
        ) from None
    try:
        return Butler.from_config(repo, collections=collections)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        # daf_butler says "Config location ... does not exist" or names its missing index
        raise ProductNotFound(
            f"Cannot open the Butler repository {repo!r}: {exc}. Give the folder that holds "
            "butler.yaml, a butler.yaml URL, or a repository label listed in "
            "$DAF_BUTLER_REPOSITORY_INDEX (on the RSP: dp02, dp1)."
        ) from exc


def _label_of(butler: Any) -> str:
    """The repository a Butler object was made from, as ``Butler()`` accepts it again."""
    config_file = getattr(getattr(butler, "_config", None), "configFile", None)
    if config_file is None:
        return type(butler).__name__
    if getattr(config_file, "scheme", "") == "file":
        # A local repository is best named by its root folder, as users give it.
        return str(Path(config_file.ospath).parent)
    return str(config_file.geturl() if hasattr(config_file, "geturl") else config_file)


def _collections_of(butler: Any) -> list[str]:
    try:
        return list(butler.collections.defaults)
    except AttributeError:
        return []
