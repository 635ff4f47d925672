"""The realistic sample data set used by ``skybkg demo``, the tests and the benchmarks.

DP0.2-like products under their DP0.2 names and data ids, generated deterministically on
first use into the user cache (:func:`ensure_sample`) and registered in a real Butler
repository when ``lsst-daf-butler`` is installed. :mod:`.catalog` says what the set holds,
:mod:`.generate` how its pixels are made (:mod:`.full_visits` the full visits' backgrounds),
:mod:`.store` where it lives; :mod:`.dp2` its DP2 part (the same visit image and coadd in
Rubin's new format, with named backgrounds).
"""

from . import catalog, dp2, full_visits, generate, store
from .catalog import *
from .dp2 import *
from .full_visits import *
from .generate import *
from .store import *

__all__ = [
    *catalog.__all__,
    *dp2.__all__,
    *full_visits.__all__,
    *generate.__all__,
    *store.__all__,
]
