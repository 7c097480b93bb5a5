"""``mesolimbic lab``: an interactive page to explore the reward system (needs the ``lab`` extra).

Three views over :func:`mesolimbic.simulate` — Pavlovian designs and the dopamine
neuron, the circuit under manipulations, choice tasks — served on 127.0.0.1 by
:func:`serve`; :mod:`mesolimbic.lab.engine` is the computation without any web code.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve(port: int | None = None, open_browser: bool = True, **kw) -> None:
    """Start the lab (see :func:`mesolimbic.lab.app.serve`)."""
    try:
        import dash  # noqa: F401
    except ImportError:
        raise ValueError("the lab needs Dash: pip install 'mesolimbic[lab]'") from None
    from .app import serve as _serve

    _serve(port, open_browser, **kw)
