"""perptop's colour themes: one TOML file per theme in this package, plus their names and variables.

This module never imports Textual, so the CLI can validate ``--theme`` and the config's ``theme`` key
without paying Textual's import time; ``themes.loader`` turns the files into ``textual.theme.Theme``.

A theme file defines Textual's theme fields (``primary``, ``background``, ... ``dark``) and a
``[variables]`` table holding the semantic colours every perptop widget and stylesheet uses
(``SEMANTIC_VARIABLES``), so switching theme recolours everything.
"""

from __future__ import annotations

from importlib import resources

DEFAULT_THEME = "dark"
MONOCHROME_THEME = "monochrome"  # chosen automatically when NO_COLOR is set

#: The semantic colours each theme must define under ``[variables]``; stylesheets use them as ``$up`` etc.
SEMANTIC_VARIABLES: tuple[str, ...] = (
    "up",  # a rising value (price, OI, funding)
    "down",  # a falling value
    "neutral",  # unchanged or context
    "flag-bull",  # a flag pointing up (direction +1)
    "flag-bear",  # a flag pointing down (direction -1)
    "flag-context",  # a context flag (direction 0)
    "heat-neg",  # heatmap: most negative funding
    "heat-zero",  # heatmap: zero
    "heat-pos",  # heatmap: most positive funding
    "stale",  # a value whose source has gone quiet
    "muted",  # secondary text: units, labels, timestamps
)


THEME_ORDER: tuple[str, ...] = ("dark", "light", "high-contrast", "ansi16", "monochrome")
"""The order ``t`` cycles through and the README lists: the colour themes, then the ANSI ones."""


def theme_names() -> tuple[str, ...]:
    """The names of the themes shipped in this package (file stems), in ``THEME_ORDER`` (others after it,
    sorted).

    Read through ``importlib.resources`` so it works from a wheel as well as from a checkout.
    """
    names = {
        entry.name[: -len(".toml")]
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    }
    known = [n for n in THEME_ORDER if n in names]
    return (*known, *sorted(names - set(known)))
