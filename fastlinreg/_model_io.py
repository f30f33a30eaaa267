"""The JSON model format: a fitted :class:`LinearRegression` as plain data, never pickle.

A model file is one JSON object::

    {
      "format": "fastlinreg-model",
      "format_version": 1,
      "fastlinreg_version": "0.1.0",
      "params": {"fit_intercept": true, "alpha": 0.0, ...},
      "dtype": "float64",
      "coef": [1.5, -2.0],            # or a list of lists for several targets
      "intercept": 0.25,              # or a list for several targets
      "n_features_in": 2,
      "feature_names": ["a", "b"],    # or null when fitted on an unnamed array
      "training": {...},              # free-form metadata: fit statistics, source file, ...
      "categories": {"colour": ["blue", "red"]}   # optional: one-hot encoded columns
    }

``"categories"`` (written only when there are some) lists, for each one-hot encoded column of
the training file, its categories in the order of their features, which are named
``"column=value"`` and stand next to each other in ``"feature_names"``.

Numbers are written with Python's shortest round-trip representation, so a loaded model predicts
bit for bit like the one that was saved. Loading parses JSON only (no code can run) and checks
every field; anything else is rejected with :class:`ModelFormatError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_writer
from ._estimator import LinearRegression

FORMAT = "fastlinreg-model"
FORMAT_VERSION = 1

_REQUIRED = {
    "format",
    "format_version",
    "fastlinreg_version",
    "params",
    "dtype",
    "coef",
    "intercept",
    "n_features_in",
    "feature_names",
    "training",
}
_OPTIONAL = {"categories"}

#: Fitted attributes restored from ``training`` when present, with their checkers.
_FIT_STATS = {
    "n_iter": ("n_iter_", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    "n_passes": ("n_passes_", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    "converged": ("converged_", lambda v: isinstance(v, bool)),
    "solver": ("solver_", lambda v: isinstance(v, str)),
}


class ModelFormatError(ValueError):
    """A file that is not a valid fastlinreg model; the message says what is wrong."""


def model_to_dict(
    model: LinearRegression,
    training: dict[str, Any] | None = None,
    categories: dict[str, list[str]] | None = None,
) -> dict:
    """Describe a fitted estimator as the JSON-ready dictionary of the model format.

    Parameters
    ----------
    model : LinearRegression
        A fitted estimator.
    training : dict, optional
        Extra metadata (JSON-serialisable) stored under ``"training"`` next to the fit
        statistics ``n_iter``, ``n_passes``, ``converged``, ``solver`` and ``loss_curve``.
    categories : dict of str to list of str, optional
        The categories of one-hot encoded columns (see the module's description).

    Returns
    -------
    dict
        The format and versions, the parameters, dtype, coefficients, intercept, feature
        names and ``"training"``, as lists and numbers that JSON can hold.
    """
    from . import __version__

    if not hasattr(model, "coef_"):
        raise ValueError("the model is not fitted; call fit before saving it")
    coef = np.asarray(model.coef_)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    stats: dict[str, Any] = {
        "n_iter": int(model.n_iter_),
        "n_passes": int(model.n_passes_),
        "converged": bool(model.converged_),
        "solver": str(model.solver_),
        "loss_curve": [float(v) for v in model.loss_curve_],
    }
    names = getattr(model, "feature_names_in_", None)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fastlinreg_version": __version__,
        "params": model.get_params(),
        "dtype": str(coef.dtype),
        "coef": coef.astype(np.float64).tolist(),
        "intercept": intercept.tolist(),
        "n_features_in": int(model.n_features_in_),
        "feature_names": None if names is None else [str(n) for n in names],
        "training": {**stats, **(training or {})},
    }
    if categories:
        document["categories"] = {
            str(c): [str(v) for v in values] for c, values in categories.items()
        }
        _check_categories(document["categories"], document["feature_names"])
    return document


def save_model(
    model: LinearRegression,
    path: str | os.PathLike[str],
    training: dict[str, Any] | None = None,
    *,
    categories: dict[str, list[str]] | None = None,
) -> None:
    """Write a fitted estimator to ``path`` in the JSON model format.

    Parameters
    ----------
    model : LinearRegression
        A fitted estimator.
    path : str or path-like
        Destination file. It is replaced atomically: the model is written to a temporary file
        in the same folder, flushed to disk and renamed over ``path``, so ``path`` holds the
        old file or the complete new one even if the process is killed or the disk fills.
    training : dict, optional
        Extra JSON-serialisable metadata stored under ``"training"``.
    categories : dict of str to list of str, optional
        For a model fitted on one-hot encoded columns, each column's categories in the order
        of their features (named ``"column=value"``), so that predictions can encode new data.

    Raises
    ------
    ValueError
        If the model is not fitted, holds non-finite numbers, or ``categories`` do not match
        its feature names.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from fastlinreg import LinearRegression, load_model, save_model
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = LinearRegression().fit(X, 3 * X[:, 0] + 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save_model(model, path)
    >>> bool((load_model(path).predict(X) == model.predict(X)).all())
    True
    """
    document = model_to_dict(model, training, categories)
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"the model holds non-finite numbers and cannot be saved: {exc}") from exc
    with atomic_writer(path) as out:
        out.write(text + "\n")


def load_model(path: str | os.PathLike[str]) -> LinearRegression:
    """Read a model file written by :func:`save_model` (or ``fastlinreg fit``).

    Parameters
    ----------
    path : str or path-like
        The model file (JSON).

    Returns
    -------
    LinearRegression
        A fitted estimator that predicts exactly like the one that was saved.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFormatError
        If the file is not JSON (or is nested too deeply to parse), not a fastlinreg model, of
        an unsupported format version, or has a missing, extra or ill-typed field.
    """
    return load_model_with_categories(path)[0]


def load_model_with_categories(
    path: str | os.PathLike[str],
) -> tuple[LinearRegression, dict[str, list[str]]]:
    """Read a model file and the categories of its one-hot encoded columns.

    Parameters
    ----------
    path : str or path-like
        The model file (JSON).

    Returns
    -------
    model : LinearRegression
        As :func:`load_model` returns it.
    categories : dict of str to list of str
        Each one-hot encoded column's categories, in the order of their features; empty for
        a model fitted on numeric columns only.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFormatError
        As :func:`load_model`, and for categories that do not match the feature names.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"{p}: not a fastlinreg model (not UTF-8 text)") from exc
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ModelFormatError(f"{p}: not a fastlinreg model (invalid JSON: {exc})") from exc
    except RecursionError:
        raise ModelFormatError(f"{p}: not a fastlinreg model (JSON nested too deeply)") from None
    try:
        model = model_from_dict(document)
        categories = document.get("categories", {})
        if "categories" in document:
            _check_categories(categories, document["feature_names"])
    except ModelFormatError as exc:
        raise ModelFormatError(f"{p}: {exc}") from None
    return model, categories


def _check_categories(categories: Any, names: Any) -> None:
    """Refuse categories that are not lists of distinct strings next to each other in names."""
    from .io import one_hot_name

    if not isinstance(categories, dict) or not categories:
        raise ModelFormatError('"categories" must be a non-empty object when present')
    if names is None:
        raise ModelFormatError('"categories" needs "feature_names"')
    for column, values in categories.items():
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
            or len(set(values)) != len(values)
        ):
            raise ModelFormatError(f'"categories" of {column!r} must be a list of distinct strings')
        expanded = [one_hot_name(column, v) for v in values]
        try:
            start = names.index(expanded[0])
        except ValueError:
            start = -1
        if names[start : start + len(expanded)] != expanded:
            raise ModelFormatError(
                f'the features of the categories of {column!r} are not in "feature_names"'
            )


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def model_from_dict(document: Any) -> LinearRegression:
    """Rebuild a fitted estimator from the dictionary form of the model format.

    Parameters
    ----------
    document : dict
        As produced by :func:`model_to_dict`.

    Returns
    -------
    LinearRegression
        The fitted estimator the dictionary describes.

    Raises
    ------
    ModelFormatError
        If any field is missing, unexpected or invalid.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFormatError(f'not a fastlinreg model (no "format": "{FORMAT}" field)')
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"unsupported model format_version {version!r} (this fastlinreg reads {FORMAT_VERSION})"
        )
    missing = sorted(_REQUIRED - document.keys())
    if missing:
        raise ModelFormatError(f"missing field(s) {missing}")
    extra = sorted(document.keys() - _REQUIRED - _OPTIONAL)
    if extra:
        raise ModelFormatError(f"unexpected field(s) {extra}")

    model = LinearRegression()
    model.set_params(**_check_params(document["params"], model.get_params()))
    try:
        model._check_params()
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"invalid params: {exc}") from None

    if document["dtype"] not in ("float32", "float64"):
        raise ModelFormatError(f'"dtype" must be "float32" or "float64", got {document["dtype"]!r}')
    dtype = np.dtype(document["dtype"])
    coef = _number_array(document["coef"], "coef")
    if coef.ndim not in (1, 2) or coef.shape[-1] == 0 or coef.size == 0:
        raise ModelFormatError(
            f'"coef" must be a non-empty list or list of lists, got {coef.shape}'
        )
    n_features = document["n_features_in"]
    if isinstance(n_features, bool) or n_features != coef.shape[-1]:
        raise ModelFormatError(
            f'"n_features_in" ({n_features!r}) does not match "coef" ({coef.shape[-1]} features)'
        )
    intercept = _number_array(document["intercept"], "intercept")
    expected = () if coef.ndim == 1 else (coef.shape[0],)
    if intercept.shape != expected:
        raise ModelFormatError(f'"intercept" must have shape {expected}, got {intercept.shape}')
    if not model.fit_intercept and np.any(intercept != 0):
        raise ModelFormatError('"intercept" must be 0 when fit_intercept is false')

    model.coef_ = coef.astype(dtype)
    if coef.ndim == 1:
        model.intercept_ = dtype.type(intercept) if model.fit_intercept else 0.0
    else:
        model.intercept_ = intercept.astype(dtype) if model.fit_intercept else intercept
    model.n_features_in_ = int(n_features)
    names = document["feature_names"]
    if names is not None:
        if (
            not isinstance(names, list)
            or len(names) != n_features
            or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)
        ):
            raise ModelFormatError(f'"feature_names" must be null or {n_features} distinct strings')
        model.feature_names_in_ = np.asarray(names, dtype=object)
    _restore_training(model, document["training"])
    return model


def _check_params(params: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ModelFormatError('"params" must be an object')
    unknown = sorted(params.keys() - defaults.keys())
    if unknown:
        raise ModelFormatError(f"unknown estimator parameter(s) {unknown}")
    return params


def _number_array(value: Any, name: str) -> np.ndarray:
    """Convert a number, list or list of lists of finite JSON numbers to a float64 array."""

    def numeric(v: Any, depth: int) -> bool:
        """Say whether ``v`` is a JSON number, or lists of them nested at most two deep.

        Parameters
        ----------
        v : object
            The value to check.
        depth : int
            How many lists ``v`` is already nested in.

        Returns
        -------
        bool
            Whether ``v`` holds numbers only (booleans excluded).
        """
        if isinstance(v, list) and depth < 2:
            return all(numeric(x, depth + 1) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    problem = f'"{name}" must be a number, a list or a list of equal-length lists of finite numbers'
    if not numeric(value, 0):
        raise ModelFormatError(problem)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, OverflowError):
        raise ModelFormatError(problem) from None
    if not np.all(np.isfinite(array)):
        raise ModelFormatError(problem)
    return array


def _restore_training(model: LinearRegression, training: Any) -> None:
    if not isinstance(training, dict):
        raise ModelFormatError('"training" must be an object')
    for key, (attr, valid) in _FIT_STATS.items():
        if key in training:
            if not valid(training[key]):
                raise ModelFormatError(f'invalid "training.{key}": {training[key]!r}')
            setattr(model, attr, training[key])
    if "loss_curve" in training:
        curve = training["loss_curve"]
        if not isinstance(curve, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in curve
        ):
            raise ModelFormatError('"training.loss_curve" must be a list of numbers')
        model.loss_curve_ = [float(v) for v in curve]
