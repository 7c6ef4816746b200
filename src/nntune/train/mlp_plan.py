"""Note 003's advice on an MLP's widths, for ``--dry-run``: keep every hidden layer the
same width (it works better than varying them at the same depth), and make the first hidden
layer wider than the input (often the better choice).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def width_advice(params: Mapping[str, Any], input_shape: Sequence[int]) -> list[str]:
    """Where the hidden widths of the MLP ``params`` describe depart from note 003, one line
    each; nothing for a network without hidden layers or with widths not yet integers."""
    from nntune.train.models import MODEL_DEFAULTS

    layers = params.get("layers", MODEL_DEFAULTS["layers"])
    units = params.get("units", MODEL_DEFAULTS["units"])
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        return []
    widths = [units] * layers if isinstance(units, int) and not isinstance(units, bool) else list(units or [])
    if not widths or not all(isinstance(w, int) and not isinstance(w, bool) for w in widths):
        return []
    inputs = math.prod(int(d) for d in input_shape)
    out = []
    if len(set(widths)) > 1:
        out.append(f"hidden widths {', '.join(map(str, widths))} differ; note 003 finds equal widths in every "
                   f"hidden layer work better than varied ones at the same depth")
    if widths[0] <= inputs:
        out.append(f"the first hidden layer ({widths[0]} units) is no wider than the input ({inputs:,} features); "
                   f"note 003: a first hidden layer wider than the input often works better")
    return out
