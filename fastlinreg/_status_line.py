"""A line of progress on a stream: redrawn in place on a terminal, appended to a log otherwise."""

from __future__ import annotations

from typing import TextIO

#: Carriage return, then erase to the end of the line.
_REDRAW = "\r\x1b[K"


class StatusLine:
    """Progress text on ``stream``, as a terminal shows it or as a log keeps it.

    Parameters
    ----------
    stream : file-like
        Where to write (stderr, usually); a terminal when its ``isatty()`` says so.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def show(self, text: str) -> None:
        """Replace the line on a terminal; append ``text`` as a line otherwise.

        Parameters
        ----------
        text : str
            One line, without its newline.
        """
        self.stream.write(_REDRAW + text if self.tty else text + "\n")
        self.stream.flush()

    def finish(self, text: str | None = None) -> None:
        """End the progress: ``text`` as the last line if given, else a cleared terminal line.

        Parameters
        ----------
        text : str, optional
            The final state, kept on screen and in logs.
        """
        if self.tty:
            self.stream.write(_REDRAW + ("" if text is None else text + "\n"))
        elif text is not None:
            self.stream.write(text + "\n")
        self.stream.flush()
