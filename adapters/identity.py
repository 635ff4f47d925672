"""Which product a file is (dataset type + data id), and whether two products are one data id.

The evidence, strongest first: the provenance of a product fetched from a source; the header
cards afw copies from the visit (``VISIT``, ``DETECTOR``, ``DETNAME``, ``INSTRUME``; coadds
``TRACT``, ``PATCH``, ``BAND``); the file name (:func:`~skybkg_adapters.sources.parse_file_name`).
A BackgroundList file has no identity cards, so its provenance and name are all it has.  The
bounding box is never evidence: every detector of a camera has the same one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from .container import BackgroundModel, SkyImage
from .detectors import detector_full_name, detector_number
from .sources.data_id import format_data_id
from .sources.file_names import parse_file_name

__all__ = [
    "IdentityMatch",
    "ProductIdentity",
    "Verdict",
    "background_stem",
    "identify",
    "match_background",
    "match_data_ids",
    "product_label",
]

Verdict = Literal["same", "different", "unknown"]
"""Whether two identities name one data id: yes, no, or nothing says."""

_IMPLIED = frozenset({"instrument", "physical_filter", "skymap", "day_obs"})
"""Data-id keys implied by the others (a visit implies its band too)."""


def _identifying(data_id: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(data_id) - _IMPLIED
    if "visit" in keys:
        keys.discard("band")
    return {key: data_id[key] for key in data_id if key in keys}


def product_label(dataset_type: str, data_id: Mapping[str, Any]) -> str:
    """The name glue gives a product: ``calexp_512055_75``, ``deepCoadd_4226_17_r``.

    The dataset type, then the values of the data-id keys that identify it (implied keys
    such as ``instrument``, ``physical_filter`` or a visit's ``band`` are left out).
    """
    return "_".join([dataset_type, *(str(v) for v in _identifying(data_id).values())])


def background_stem(dataset_type: str | None) -> str | None:
    """The image type a background type belongs to (``calexpBackground`` -> ``calexp``).

    ``X_background`` -> ``X`` (``deepCoadd_calexp_background``, ``visit_image_background``);
    None for a type that is not a background's.
    """
    if not dataset_type:
        return None
    for marker in ("_background", "Background"):
        if dataset_type.endswith(marker) and len(dataset_type) > len(marker):
            return dataset_type[: -len(marker)]
    return None


@dataclass(frozen=True)
class ProductIdentity:
    """What is known of which product something is.

    ``data_id`` holds only what the evidence says (possibly nothing); ``name_rest`` is the file
    name after ``<dataset type>_`` (compared when a data id cannot be read from it);
    ``evidence`` names where the facts came from (``"provenance"``, ``"header"``,
    ``"file name"``).
    """

    dataset_type: str | None = None
    data_id: Mapping[str, Any] = field(default_factory=dict)
    instrument: str | None = None
    name_rest: str | None = None
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_id", MappingProxyType(dict(self.data_id)))

    @property
    def key(self) -> dict[str, Any]:
        """The identifying part of the data id (visit and detector; tract, patch and band)."""
        return _identifying(self.data_id)

    def describe(self) -> str:
        """The data id in words, or the file-name rest, or ``"unknown"``."""
        if self.key:
            return format_data_id(self.key)
        if self.name_rest is not None:
            return f"file name ..._{self.name_rest}"
        return "unknown"

    def to_dict(self) -> dict[str, Any]:
        """JSON literals only (glue sessions store this in a Data's meta)."""
        return {
            "dataset_type": self.dataset_type,
            "data_id": dict(self.data_id),
            "instrument": self.instrument,
            "name_rest": self.name_rest,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any] | None) -> ProductIdentity:
        """Rebuild from :meth:`to_dict` output (None gives an identity that knows nothing)."""
        record = record or {}
        return cls(
            dataset_type=record.get("dataset_type"),
            data_id=record.get("data_id") or {},
            instrument=record.get("instrument"),
            name_rest=record.get("name_rest"),
            evidence=tuple(record.get("evidence") or ()),
        )

    def with_provenance(
        self, dataset_type: str | None, data_id: Mapping[str, Any]
    ) -> ProductIdentity:
        """The identity with a source's dataset type and data id put first."""
        if not dataset_type:
            return self
        instrument = data_id.get("instrument") or self.instrument
        return ProductIdentity(
            dataset_type,
            {**self.data_id, **data_id},
            str(instrument) if instrument else None,
            self.name_rest,
            ("provenance", *(e for e in self.evidence if e != "provenance")),
        )


def _header_data_id(header: Any) -> tuple[dict[str, Any], str | None]:
    """The data id afw copied into an exposure's header (DP0.2 calexps and coadds carry one)."""
    if header is None:
        return {}, None
    instrument = header.get("INSTRUME")
    instrument = str(instrument) if instrument else None
    data_id: dict[str, Any] = {}
    if isinstance(header.get("VISIT"), int):
        data_id["visit"] = header["VISIT"]
    if isinstance(header.get("DETECTOR"), int):
        data_id["detector"] = header["DETECTOR"]
    elif isinstance(header.get("DETNAME"), str) and instrument:
        number = detector_number(instrument, header["DETNAME"])
        if number is not None:
            data_id["detector"] = number
    if isinstance(header.get("TRACT"), int) and isinstance(header.get("PATCH"), int):
        data_id.update(tract=header["TRACT"], patch=header["PATCH"])
        if isinstance(header.get("BAND"), str):
            data_id["band"] = header["BAND"]
    return data_id, instrument


def identify(product: SkyImage | BackgroundModel) -> ProductIdentity:
    """Everything ``product``'s provenance, header cards and file name say about its identity."""
    provenance = product.provenance
    evidence: list[str] = []
    data_id: dict[str, Any] = {}
    dataset_type = instrument = name_rest = None
    named = parse_file_name(provenance.uri) if provenance is not None and provenance.uri else None
    if named is not None:
        dataset_type, name_rest, instrument = named.dataset_type, named.rest, named.instrument
        data_id.update(named.data_id)
        evidence.append("file name")
    header_id, header_instrument = _header_data_id(getattr(product, "metadata", None))
    if header_id:
        data_id.update(header_id)  # the header wins over the name: names can be changed
        evidence.insert(0, "header")
    instrument = header_instrument or instrument
    identity = ProductIdentity(dataset_type, data_id, instrument, name_rest, tuple(evidence))
    if provenance is not None:
        identity = identity.with_provenance(provenance.dataset_type, provenance.data_id)
    return identity


@dataclass(frozen=True)
class IdentityMatch:
    """Whether two identities name one data id (:data:`Verdict`), and why, in words."""

    verdict: Verdict
    reason: str


def _names_values(rest: str, key: Mapping[str, Any], instrument: str | None) -> bool:
    """Whether every identifying value appears as a whole ``_``-separated word of ``rest``."""
    words = "_" + rest.replace(".", "_") + "_"
    for name, value in key.items():
        variants = {str(value)}
        if name == "detector" and instrument:
            variants.add(detector_full_name(instrument, int(value)) or str(value))
        if not any(f"_{variant}_" in words for variant in variants):
            return False
    return True


def match_data_ids(a: ProductIdentity, b: ProductIdentity) -> IdentityMatch:
    """Whether ``a`` and ``b`` have one data id, from everything each knows.

    Different when a key both know differs (or the instruments do); the same when both know
    the same identifying keys and they agree, when one's data id values are all words of the
    other's file name, or when two names without a readable data id agree after the dataset
    type; unknown otherwise.
    """
    if a.instrument and b.instrument and a.instrument != b.instrument:
        return IdentityMatch("different", f"instrument {a.instrument} vs {b.instrument}")
    ka, kb = a.key, b.key
    differ = [k for k in ka if k in kb and ka[k] != kb[k]]
    if differ:
        return IdentityMatch(
            "different",
            f"{format_data_id({k: ka[k] for k in differ})} vs "
            f"{format_data_id({k: kb[k] for k in differ})}",
        )
    if ka and ka.keys() == kb.keys():
        return IdentityMatch("same", f"same data id {format_data_id(ka)}")
    instrument = a.instrument or b.instrument
    for known, named in ((ka, b), (kb, a)):
        if known and not named.key and named.name_rest is not None:
            if _names_values(named.name_rest, known, instrument):
                return IdentityMatch("same", f"the file name names {format_data_id(known)}")
            return IdentityMatch(
                "unknown",
                f"the file name ..._{named.name_rest} does not name {format_data_id(known)}",
            )
    if not ka and not kb and a.name_rest is not None and b.name_rest is not None:
        if a.name_rest == b.name_rest:
            return IdentityMatch("same", f"the file names agree after the type (_{a.name_rest})")
        return IdentityMatch(
            "unknown",
            f"the file names differ after the type (_{a.name_rest} vs _{b.name_rest}) "
            "and hold no data id",
        )
    if ka and kb:
        return IdentityMatch(
            "unknown", f"only parts of the data ids are known ({a.describe()}; {b.describe()})"
        )
    return IdentityMatch(
        "unknown", "no data id is known for both (no provenance, header cards or Butler file name)"
    )


def match_background(image: ProductIdentity, background: ProductIdentity) -> IdentityMatch:
    """Whether ``background`` is the one subtracted from ``image``.

    Its dataset type must belong to the image's (``calexpBackground`` to ``calexp``,
    ``deepCoadd_calexp_background`` to ``deepCoadd_calexp``) when both are known, and the data
    ids must agree (:func:`match_data_ids`).
    """
    stem = background_stem(background.dataset_type)
    if stem and image.dataset_type and stem != image.dataset_type:
        return IdentityMatch(
            "different",
            f"a {background.dataset_type} belongs to a {stem}, not to a {image.dataset_type}",
        )
    return match_data_ids(image, background)
