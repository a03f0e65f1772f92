"""Load the theme files of this package into ``textual.theme.Theme`` objects.

Only the app imports this module (it imports Textual). A malformed theme file raises ``ThemeError`` whose
message names the file and the key, so a broken theme (shipped or edited in a checkout) is found at
start-up rather than as a CSS failure deep inside Textual.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from themes import DEFAULT_THEME, SEMANTIC_VARIABLES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

THEME_COLOUR_FIELDS: tuple[str, ...] = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
)
"""The Textual Theme colours every theme file must set."""
_COLOR_FIELDS = (*THEME_COLOUR_FIELDS, "boost")
_REQUIRED_FIELDS = (*THEME_COLOUR_FIELDS, "dark")
_FLOAT_FIELDS = ("luminosity_spread", "text_alpha")
_BOOL_FIELDS = ("dark", "ansi")
_ANSI_VARIABLES = ("ansi-background", "ansi-foreground")


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and the key."""


def parse_theme(text: str, name: str, source: str) -> Theme:
    """Build a Theme from the text of a theme file.

    Args:
        text: the TOML text.
        name: the theme's name (the file stem).
        source: the file name used in error messages.

    Raises:
        ThemeError: on a TOML syntax error, a missing or unknown key, a value of the wrong type, or a
            colour Textual cannot parse.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"theme file {source}: invalid TOML: {exc}") from None

    def fail(key: str, problem: str) -> ThemeError:
        return ThemeError(f"theme file {source}: key '{key}': {problem}")

    for key in data:
        if key not in (*_COLOR_FIELDS, *_FLOAT_FIELDS, *_BOOL_FIELDS, "variables"):
            raise fail(key, "unknown key")
    for key in _REQUIRED_FIELDS:
        if key not in data:
            raise fail(key, "missing")
    fields: dict[str, Any] = {}
    for key in _COLOR_FIELDS:
        if key in data:
            fields[key] = _colour(data[key], key, fail)
    for key in _BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise fail(key, f"expected true or false, got {data[key]!r}")
            fields[key] = data[key]
    for key in _FLOAT_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise fail(key, f"expected a number from 0 to 1, got {value!r}")
            fields[key] = float(value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise fail("variables", "expected a table")
    for var in SEMANTIC_VARIABLES:
        if var not in variables:
            raise fail(f"variables.{var}", "missing (every theme defines every semantic colour)")
    if fields.get("ansi"):
        # Textual's own stylesheets use these two under ANSI themes and fail to parse without them.
        for var in _ANSI_VARIABLES:
            if var not in variables:
                raise fail(f"variables.{var}", "missing (an ANSI theme must define it)")
    checked: dict[str, str] = {}
    for var, value in variables.items():
        if not isinstance(value, str):
            raise fail(f"variables.{var}", f"expected a string, got {value!r}")
        # Textual's own variables may hold styles ("reverse"); ours and colour-named ones are colours.
        is_colour = var in SEMANTIC_VARIABLES or not var.endswith("-style")
        checked[var] = _colour(value, f"variables.{var}", fail) if is_colour else value
    return Theme(name=name, variables=checked, **fields)


def _colour(value: object, key: str, fail: Any) -> str:
    """Check that ``value`` is a colour Textual parses and return it unchanged."""
    if not isinstance(value, str):
        raise fail(key, f"expected a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise fail(key, f"not a colour: {exc}") from None
    return value


@cache
def _load_all() -> tuple[Theme, ...]:
    themes = []
    for entry in sorted(resources.files("themes").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.is_file():
            name = entry.name[: -len(".toml")]
            try:
                text = entry.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ThemeError(f"theme file {entry.name}: cannot read: {exc}") from None
            themes.append(parse_theme(text, name, entry.name))
    return tuple(themes)


def load_themes() -> dict[str, Theme]:
    """Every theme shipped in the ``themes`` package, by name (``dark``, ``light``, ...).

    Raises:
        ThemeError: if a theme file is malformed.
    """
    return {theme.name: theme for theme in _load_all()}


def ansi_color_for(theme: Theme) -> bool | None:
    """The ``ansi_color`` argument ``PerptopApp`` should pass to ``App.__init__`` for its start theme.

    Textual picks its ``NO_COLOR`` filter once, in ``App.__init__``, from the theme current at that
    moment (always ``textual-dark``): a grey-scale RGB filter, which still sends colour codes and paints
    grey blocks on light terminals. Passing ``ansi_color=True`` for an ANSI theme (``monochrome``,
    ``ansi16``) makes it pick the filter that leaves the terminal's own colours instead.
    """
    return True if theme.ansi else None


def theme_variable_defaults() -> dict[str, str]:
    """Fallback values of the semantic variables, for ``App.get_theme_variable_defaults``.

    Returning these from the app keeps stylesheets that use ``$up`` etc. valid when the user picks one of
    Textual's built-in themes from the command palette, which do not define them.
    """
    dark = load_themes()[DEFAULT_THEME]
    return {var: dark.variables[var] for var in SEMANTIC_VARIABLES}
