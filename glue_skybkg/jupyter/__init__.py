"""The plugin in JupyterLab: glue-jupyter viewers with the sky-background actions as widgets.

Needs the ``jupyter`` extra (``pip install 'glue-skybkg[jupyter]'``); never Qt.  Start with
:func:`open`; :class:`SkyPanel` is the panel, :func:`restore_session` reopens sessions saved
here or in glue-qt.
"""

from . import application, fetch_form, histogram, inspect_form, sky_panel, viewer
from .application import *
from .fetch_form import *
from .histogram import *
from .inspect_form import *
from .sky_panel import *
from .viewer import *

__all__ = [
    *application.__all__,
    *fetch_form.__all__,
    *histogram.__all__,
    *inspect_form.__all__,
    *sky_panel.__all__,
    *viewer.__all__,
]
