"""matplotlib is an optional dependency: one place imports it with a clear message."""


def import_pyplot(caller):
    """Return ``matplotlib.pyplot``, or raise ImportError naming ``caller`` and the extra.

    Parameters
    ----------
    caller : str
        Name of the public function that needs matplotlib, used in the message.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{caller} needs matplotlib: pip install matplotlib (or skentropic[plots])."
        ) from exc
    return plt
