"""What the bell and OSC sinks write to the terminal: the bell, OSC 9 and OSC 777, and tmux's passthrough.

A notification through the terminal reaches the user's own machine over SSH, where ``notify-send`` on
the remote host would not. tmux swallows OSC sequences it does not know, so inside tmux each one is
wrapped in tmux's passthrough (``ESC P tmux; ... ESC \\`` with every ESC inside doubled), which tmux
3.3 and later forward only with ``set -g allow-passthrough on`` (it is off by default).

Titles and bodies come from reason lines and symbol names: every control character is taken out, so
nothing in them can end the sequence early and start another one.
"""

from __future__ import annotations

import re

from signals.formats import shorten

BEL = "\a"
ESC = "\x1b"
ST = ESC + "\\"

MAX_TITLE_CHARS = 80
MAX_BODY_CHARS = 400
"""Notification popups show a few lines at most; tmux also caps what one passthrough may carry."""

# C0 controls, DEL and the C1 controls: a terminal in UTF-8 mode may still act on U+009B (CSI),
# U+009D (OSC) and U+009C (ST), so they go too.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def clean(text: str, limit: int, *, semicolons: bool = True) -> str:
    """``text`` with no control characters (line breaks and tabs become spaces), at most ``limit`` chars.

    Args:
        text: a title or a body.
        limit: the most characters kept (an ellipsis marks a cut).
        semicolons: keep ``;`` (False for a field that a later ``;`` would end early).
    """
    text = _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if not semicolons:
        text = text.replace(";", ",")
    text = _SPACES.sub(" ", text).strip()
    return shorten(text, limit)


def osc9(message: str) -> str:
    """OSC 9 (iTerm2, WezTerm, Ghostty, kitty, Windows Terminal...): one message, no title."""
    return f"{ESC}]9;{message}{BEL}"


def osc777(title: str, body: str) -> str:
    """OSC 777 ``notify`` (rxvt-unicode, foot, Ghostty, WezTerm...): a title and a body."""
    return f"{ESC}]777;notify;{title};{body}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped so that tmux hands it on to the terminal outside it."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def osc_notification(title: str, body: str, *, tmux: bool) -> str:
    """The OSC 9 and OSC 777 notifications of one alert, cleaned, each passed through tmux when inside it.

    Both are sent because most terminals honour only one of the two (iTerm2 and kitty OSC 9,
    rxvt-unicode and foot OSC 777), and a terminal ignores an OSC it does not know.
    """
    title_777 = clean(title, MAX_TITLE_CHARS, semicolons=False)
    body_clean = clean(body, MAX_BODY_CHARS)
    title_clean = clean(title, MAX_TITLE_CHARS)
    message = f"{title_clean}: {body_clean}" if title_clean and body_clean else title_clean or body_clean
    sequences = [osc9(message), osc777(title_777, body_clean)]
    if tmux:
        sequences = [tmux_passthrough(s) for s in sequences]
    return "".join(sequences)
