"""Generated code at the edge: the one place the package compiles source at run time.

Private. Only adapters and serialisation import it; the domain packages (``pricing``,
``lifecycle``, ``billing``) and ``money``, ``periods`` and ``audit`` never do (an
import contract keeps it so). Every function it compiles is built from a class's own
field names and nothing else, and its source is registered with :mod:`linecache`, as
attrs registers the ``__init__`` it generates, so a traceback through it shows the
generated line instead of nothing.
"""

from __future__ import annotations

import linecache
from typing import Any


def compile_function(name: str, filename: str, source: str, namespace: dict[str, Any]) -> Any:
    """Compile ``source`` (one ``def name(...)``) in ``namespace`` and return the function.

    ``filename`` names the code in tracebacks (``<resell_core copy Invoice>``); it is made
    unique by a counter when another source was registered under it, so each generated
    function keeps its own lines.
    """
    lines = source.splitlines(True)
    unique, count = filename, 1
    while (entry := linecache.cache.get(unique)) is not None and entry[2:3] != (lines,):
        count += 1
        unique = f"{filename[:-1]}-{count}>"
    code = compile(source, unique, "exec")
    linecache.cache[unique] = (len(source), None, lines, unique)
    exec(code, namespace)  # the source comes from field names only (see the module's doc)
    return namespace[name]
