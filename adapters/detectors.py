"""Detector numbers and the full names (``R20_S10``) Butler file names use, for the DP cameras."""

from __future__ import annotations

__all__ = ["detector_full_name"]

# LSSTCam-imSim numbers its 189 science detectors raft by raft in this order (the four
# corner rafts hold wavefront sensors and are not simulated), nine sensors per raft.
_IMSIM_RAFTS = (
    "R01",
    "R02",
    "R03",
    "R10",
    "R11",
    "R12",
    "R13",
    "R14",
    "R20",
    "R21",
    "R22",
    "R23",
    "R24",
    "R30",
    "R31",
    "R32",
    "R33",
    "R34",
    "R41",
    "R42",
    "R43",
)
_SENSORS = tuple(f"S{row}{col}" for row in range(3) for col in range(3))


def detector_full_name(instrument: str, detector: int) -> str | None:
    """The full name of ``detector`` of ``instrument`` (``"R22_S11"``), or None if unknown.

    Known: ``LSSTCam-imSim`` (DP0.2; detector 94 is ``R22_S11``) and ``LSSTComCam``
    (DP1; one raft ``R22``, detectors 0-8).
    """
    detector = int(detector)
    if instrument == "LSSTCam-imSim" and 0 <= detector < 9 * len(_IMSIM_RAFTS):
        return f"{_IMSIM_RAFTS[detector // 9]}_{_SENSORS[detector % 9]}"
    if instrument == "LSSTComCam" and 0 <= detector < 9:
        return f"R22_{_SENSORS[detector]}"
    return None
