"""Detector numbers and the full names (``R20_S10``) Butler file names use, for the DP cameras.

LSSTCam and its simulation LSSTCam-imSim (DP0.2) number their 189 science detectors alike, so
both take their names from the one built-in layout (:mod:`.focal_plane.lsstcam`).
"""

from __future__ import annotations

from .focal_plane.lsstcam import load_lsstcam_layout

__all__ = ["detector_full_name", "detector_number"]

_LSSTCAM_INSTRUMENTS = ("LSSTCam", "LSSTCam-imSim")
_COMCAM_SENSORS = tuple(f"S{row}{col}" for row in range(3) for col in range(3))


def detector_full_name(instrument: str, detector: int) -> str | None:
    """The full name of ``detector`` of ``instrument`` (``"R22_S11"``), or None if unknown.

    Known: ``LSSTCam`` and ``LSSTCam-imSim`` (DP0.2; detector 94 is ``R22_S11``) and
    ``LSSTComCam`` (DP1; one raft ``R22``, detectors 0-8).
    """
    detector = int(detector)
    if instrument in _LSSTCAM_INSTRUMENTS:
        layout = load_lsstcam_layout()
        return layout[detector].name if 0 <= detector < len(layout) else None
    if instrument == "LSSTComCam" and 0 <= detector < len(_COMCAM_SENSORS):
        return f"R22_{_COMCAM_SENSORS[detector]}"
    return None


def detector_number(instrument: str, full_name: str) -> int | None:
    """The number of the detector ``instrument`` calls ``full_name`` (``"R20_S10"`` -> 75).

    The inverse of :func:`detector_full_name`; None for an unknown instrument or name.
    """
    if instrument in _LSSTCAM_INSTRUMENTS:
        return next((g.id for g in load_lsstcam_layout() if g.name == full_name), None)
    raft, _, sensor = full_name.partition("_")
    if instrument == "LSSTComCam" and raft == "R22" and sensor in _COMCAM_SENSORS:
        return _COMCAM_SENSORS.index(sensor)
    return None
