"""The lsst-images side of the cross-check; run by a Python >= 3.12 that has lsst-images.

``python _lsst_images_side.py OUT FITS...``: each file is read with lsst-images' own reader,
every background is rendered (full bounds and a few sub-boxes, float64 and float32), a
coadd gets ``apply_background("pretty")``, and the arrays go to ``OUT/<name>.npz`` for
tests/test_lsst_images_writer.py to compare with ours. Only numpy and lsst-images are used.
"""

import sys
from pathlib import Path

import numpy as np
from lsst.images import Box
from lsst.images.serialization import read_archive


def sub_boxes(bbox):
    """The full box, a corner, the middle and the last row (lsst-images boxes)."""
    y0, y1, x0, x1 = bbox.y.start, bbox.y.stop, bbox.x.start, bbox.x.stop
    h, w = y1 - y0, x1 - x0
    return {
        "full": bbox,
        "corner": Box.factory[y0 : y0 + max(h // 3, 1), x0 : x0 + max(w // 4, 1)],
        "middle": Box.factory[y0 + h // 3 : y0 + 2 * h // 3, x0 + w // 5 : x1 - w // 5],
        "row": Box.factory[y1 - 1 : y1, x0:x1],
    }


def main(out: Path, paths: list[str]) -> None:
    """Write one npz of lsst-images' reads and renders per file; print one line each."""
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        name = Path(path).stem
        try:
            obj = read_archive(path)
        except Exception as exc:  # noqa: BLE001 - reported: this is the cross-check's result
            print(f"{name}: lsst-images cannot read it: {type(exc).__name__}: {exc}")
            continue
        arrays = {}
        backgrounds = obj if type(obj).__name__ == "BackgroundMap" else obj.backgrounds
        for bg_name in backgrounds:
            field = backgrounds[bg_name].field
            for label, box in sub_boxes(field.bounds.bbox).items():
                for dtype in (np.float64, np.float32):
                    key = f"bg|{bg_name}|{label}|{np.dtype(dtype).name}"
                    arrays[key] = field.render(box, dtype=dtype).array
                    arrays[key + "|box"] = np.array(
                        [box.x.start, box.y.start, box.x.size, box.y.size]
                    )
        if hasattr(obj, "image"):
            arrays["image"] = np.array(obj.image.array)  # apply_background works in place
            arrays["variance"] = np.array(obj.variance.array)
        if hasattr(obj, "apply_background") and "pretty" in backgrounds:
            obj.apply_background("pretty")
            arrays["applied|pretty"] = obj.image.array
        np.savez(out / f"{name}.npz", **arrays)
        print(f"{name}: OK ({len(backgrounds)} backgrounds, {type(obj).__name__})")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
