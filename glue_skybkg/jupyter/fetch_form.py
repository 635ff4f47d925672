"""The notebook's fetch form: a source, a product set and a data id, fetched into glue.

The same fields as the Qt dialog, less the token: a notebook takes it from the environment
(``ACCESS_TOKEN`` on the Rubin Science Platform), where the TAP source reads it itself; the
form only says whether one is set, never shows it and never puts it in a widget's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from skybkg_adapters import parse_data_id
from skybkg_adapters.sources.tokens import TOKEN_ENV_VARS, find_token

from ..fetching import (
    DEFAULT_DATA_IDS,
    PRODUCT_KINDS,
    PRODUCT_LABELS,
    SOURCE_KINDS,
    load_products,
    source_spec,
)

__all__ = ["FetchForm"]


class FetchForm:
    """Source, location, collections, product set and data id; *Fetch* with a progress bar.

    Parameters
    ----------
    on_fetched
        Called with the fetched glue Data (backgrounds included) once all are fetched.
    report
        Called with ``(what, exception)`` when the fields are wrong or the fetch fails.
    """

    def __init__(
        self,
        on_fetched: Callable[[list], None],
        report: Callable[[str, BaseException], None],
    ) -> None:
        self._on_fetched = on_fetched
        self._report = report
        self.source_kind = widgets.Dropdown(options=SOURCE_KINDS, description="Source")
        self.location = widgets.Text(
            description="Location", placeholder="folder, Butler repository or TAP URL"
        )
        self.collections = widgets.Text(value="2.2i/runs/DP0.2", description="Collections")
        self.products = widgets.Dropdown(
            options=[(text, key) for key, text in PRODUCT_LABELS.items()], description="Products"
        )
        self.data_id = widgets.Text(value=DEFAULT_DATA_IDS["visit"], description="Data id")
        self.products.observe(self._on_products, names="value")
        self.token_note = widgets.HTML()
        self.fetch_button = widgets.Button(description="Fetch", icon="download")
        self.fetch_button.on_click(self._on_fetch)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout={"width": "200px"})
        self.status = widgets.HTML("")
        self.widget = widgets.VBox(
            [
                self.source_kind,
                self.location,
                self.collections,
                self.products,
                self.data_id,
                self.token_note,
                widgets.HBox([self.fetch_button, self.progress]),
                self.status,
            ]
        )
        self.update_token_note()

    def update_token_note(self) -> None:
        """Say whether the environment holds a token (never which)."""
        names = " or ".join(f"${name}" for name in TOKEN_ENV_VARS)
        found = "set, not shown" if find_token() else "not set; an RSP TAP service needs it"
        self.token_note.value = f"<small>RSP token, from {names}: {found}</small>"

    def _on_products(self, change: dict) -> None:
        self.data_id.value = DEFAULT_DATA_IDS[change["new"]]

    def _on_progress(self, done: int, total: int, dataset_type: str) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.status.value = f"Fetching {dataset_type}…" if dataset_type else "Done"

    def _on_fetch(self, _button: Any = None) -> None:
        try:
            self.fetch()
        except Exception as exc:  # shown in the panel, never raised into the widget comm
            self.status.value = "Failed"
            self._report("Fetch", exc)

    def fetch(self) -> list:
        """Fetch the chosen products now (as the *Fetch* button does); returns the glue Data."""
        spec = source_spec(self.source_kind.value, self.location.value, self.collections.value)
        data_id = parse_data_id(self.data_id.value)
        self.update_token_note()
        self.fetch_button.disabled = True
        try:
            datasets = load_products(
                spec, PRODUCT_KINDS[self.products.value], data_id, progress=self._on_progress
            )
        finally:
            self.fetch_button.disabled = False
        self._on_fetched(datasets)
        return datasets
