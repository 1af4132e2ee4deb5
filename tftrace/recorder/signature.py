"""A run's signature: the hashable key of its fetches and feeds, and the ops behind them.

``fetch_key`` and ``feed_key`` run on every ``Session.run`` (the plan cache's key), so they
stay small loops; the rest runs only when a new plan is made or a run is recorded.
"""
from __future__ import annotations

from typing import Any

from tensorflow.python.framework import ops as _ops

def fetch_key(fetches: Any, leaves: list[Any]) -> Any:
    """A hashable key for the fetch structure; graph elements by identity.

    The leaf objects are kept alive by the cached plan, so an ``id`` in a key can never
    be reused by another object while the plan exists. This runs on every run: the usual
    ``[train_op, loss]`` takes one loop, without recursion.
    """
    kind = type(fetches)
    if kind is list or kind is tuple:
        key: list[Any] = [kind]
        for item in fetches:
            if isinstance(item, _CONTAINERS) or item is None:
                key.append(fetch_key(item, leaves))
            else:
                leaves.append(item)
                key.append(id(item))
        return tuple(key)
    if kind is dict:  # MonitoredSession's {caller: ..., hook: ...}, one loop as above
        key = [dict]
        for name, item in fetches.items():
            if isinstance(item, _CONTAINERS) or item is None:
                key.append((name, fetch_key(item, leaves)))
            else:
                leaves.append(item)
                key.append((name, id(item)))
        return tuple(key)
    if isinstance(fetches, str):
        leaves.append(fetches)
        return fetches
    if isinstance(fetches, (list, tuple)):  # namedtuples and other subclasses
        return (kind, *[fetch_key(f, leaves) for f in fetches])
    if isinstance(fetches, dict):
        return (dict, *[(k, fetch_key(v, leaves)) for k, v in fetches.items()])
    if fetches is None:
        return None
    leaves.append(fetches)
    return id(fetches)


_CONTAINERS = (list, tuple, dict, str)


def feed_key(feed_dict: Any, leaves: list[Any]) -> Any:
    if not feed_dict:
        return ()
    leaves.extend(feed_dict)
    # Strings are names (compared by value); anything else by identity.
    return tuple(k if type(k) is str else id(k) for k in feed_dict)


def leaf_op(graph: Any, leaf: Any) -> Any | None:
    try:
        element = graph.as_graph_element(leaf, allow_tensor=True, allow_operation=True)
    except Exception:
        # SparseTensor and other composites: their components' ops.
        for attr in ("indices", "values", "op"):
            part = getattr(leaf, attr, None)
            if part is not None and hasattr(part, "op"):
                return part.op
            if part is not None and hasattr(part, "type") and hasattr(part, "inputs"):
                return part
        return None
    return element if isinstance(element, _ops.Operation) else element.op


def _feed_tensor_name(graph: Any, key: Any) -> str | None:
    try:
        element = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
    except Exception:
        return None
    return getattr(element, "name", None)


def fed_names(graph: Any, feed_dict: Any) -> list[str]:
    if not feed_dict:
        return []
    names = []
    for key in feed_dict:
        name = _feed_tensor_name(graph, key)
        if name is not None:
            names.append(name)
    return names


def feed_values(graph: Any, feed_dict: Any) -> dict[str, Any]:
    if not feed_dict:
        return {}
    out = {}
    for key, value in feed_dict.items():
        name = _feed_tensor_name(graph, key)
        if name is not None:
            out[name] = value
    return out
