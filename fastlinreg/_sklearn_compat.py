"""scikit-learn's estimator protocol for a regressor, without importing scikit-learn.

:class:`SklearnRegressorBase` gives a regressor what ``RegressorMixin`` and ``BaseEstimator``
give it and what scikit-learn's utilities rely on (``clone``, ``GridSearchCV``, ``Pipeline``,
``is_regressor``, ``check_is_fitted``, pickling, metadata routing, the notebook diagram), while
importing fastlinreg and fitting, predicting and scoring NumPy arrays never imports scikit-learn,
whose import (it imports SciPy's ``stats``, and pandas when installed) takes longer than a small
fit. What needs scikit-learn's own objects (tags, routing requests, the HTML repr, R² of other
inputs) imports it when called.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import all_finite, is_plain_array

#: scikit-learn's ``metadata_routing.UNCHANGED``, a string constant: keep the current request.
UNCHANGED = "$UNCHANGED$"

#: The methods scikit-learn's metadata routing knows (``_metadata_requests.SIMPLE_METHODS``).
_ROUTED_METHODS = (
    "fit",
    "partial_fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
    "split",
    "transform",
    "inverse_transform",
)
#: Arguments that are data, never routed metadata (as in scikit-learn).
_DATA_ARGUMENTS = frozenset({"X", "y", "Y", "Xt", "yt"})
#: scikit-learn's repr: line width, and the non-blank characters kept before cutting the middle.
_REPR_WIDTH = 80
_REPR_MAX_NONBLANK = 700


def _sklearn_config() -> dict[str, Any] | None:
    """Return scikit-learn's configuration if scikit-learn is imported, else None.

    An unimported scikit-learn has its default configuration, so a display setting can be read
    without importing it.
    """
    get_config = getattr(sys.modules.get("sklearn"), "get_config", None)
    return None if get_config is None else get_config()


def _config_value(name: str, default: Any) -> Any:
    config = _sklearn_config()
    return default if config is None else config.get(name, default)


def _is_scalar_nan(x: Any) -> bool:
    return not isinstance(x, numbers.Integral) and isinstance(x, numbers.Real) and math.isnan(x)


def _differs_from_default(value: Any, default: Any) -> bool:
    """Whether ``repr`` shows a parameter: scikit-learn compares the reprs (NaN equals NaN)."""
    if default is inspect.Parameter.empty:
        return True
    return repr(value) != repr(default) and not (_is_scalar_nan(default) and _is_scalar_nan(value))


def _layout(name: str, items: list[str]) -> str:
    """Lay out ``name(k=v, ...)`` as scikit-learn's compact pretty printer does.

    One line when it fits in 80 characters; otherwise the items fill lines aligned after the
    opening parenthesis, and an item longer than a line gets a line of its own. Unlike
    scikit-learn's printer, a long value is not split itself (it splits strings at spaces and
    long containers across lines); no valid parameter here has such a value.
    """
    one_line = f"{name}({', '.join(items)})"
    if len(one_line) <= _REPR_WIDTH:
        return one_line
    indent = len(name) + 1
    newline = ",\n" + " " * indent
    width = max_width = _REPR_WIDTH - indent + 1
    parts = [name, "("]
    delim = ""
    for i, item in enumerate(items):
        if i == len(items) - 1:  # room for the closing parenthesis
            width -= 1
            max_width -= 1
        needed = len(item) + 2
        if width < needed:
            width = max_width
            if delim:
                delim = newline
        parts += [delim, item]
        if width >= needed:
            width -= needed
            delim = ", "
        else:
            delim = newline
    parts.append(")")
    return "".join(parts)


def _ellipsize(text: str) -> str:
    """Cut the middle of a very long repr, as scikit-learn's ``BaseEstimator.__repr__`` does."""
    if len("".join(text.split())) <= _REPR_MAX_NONBLANK:
        return text
    pattern = rf"^(\s*\S){{{_REPR_MAX_NONBLANK // 2}}}"
    left = re.match(pattern, text)
    right = re.match(pattern, text[::-1])
    if left is None or right is None:
        return text
    left_end, right_end = left.end(), right.end()
    if "\n" in text[left_end:-right_end]:
        # Start the kept right part at a line start rather than mid-line.
        right = re.match(pattern + r"[^\n]*\n", text[::-1])
        if right is not None:
            right_end = right.end()
    if left_end + 3 < len(text) - right_end:
        return text[:left_end] + "..." + text[-right_end:]
    return text


def r2_score(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """Return :func:`sklearn.metrics.r2_score` with its defaults, without scikit-learn for arrays.

    Numeric NumPy arrays of valid shapes, finite and with at least two rows, are scored here with
    scikit-learn's arithmetic (``multioutput="uniform_average"``, ``force_finite=True``); any
    other input, and any case where scikit-learn would raise or warn, goes to scikit-learn.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        The coefficient of determination, averaged over outputs.
    """
    score = _r2_score_numpy(y_true, y_pred, sample_weight)
    if score is None:
        from sklearn.metrics import r2_score as sklearn_r2_score

        score = sklearn_r2_score(y_true, y_pred, sample_weight=sample_weight)
    return score


def _r2_score_numpy(y_true: Any, y_pred: Any, sample_weight: Any) -> float | None:
    """R² computed as scikit-learn 1.9 computes it, or None where it is scikit-learn's to do."""
    arrays = [y_true, y_pred] if sample_weight is None else [y_true, y_pred, sample_weight]
    if not all(is_plain_array(a) and a.dtype.kind in "iuf" for a in arrays):
        return None
    if y_true.ndim not in (1, 2) or y_pred.ndim not in (1, 2):
        return None
    n = y_true.shape[0]
    if n < 2 or y_pred.shape[0] != n or 0 in y_true.shape or 0 in y_pred.shape:
        return None
    floating = [a.dtype for a in arrays if a.dtype.kind == "f"]
    dtype = np.result_type(*floating) if floating else np.dtype(np.float64)
    true = np.asarray(y_true, dtype=dtype)
    pred = np.asarray(y_pred, dtype=dtype)
    true = true.reshape(-1, 1) if true.ndim == 1 else true
    pred = pred.reshape(-1, 1) if pred.ndim == 1 else pred
    if true.shape[1] != pred.shape[1] or not (all_finite(true) and all_finite(pred)):
        return None
    weights = None
    weight: float | np.ndarray = 1.0
    if sample_weight is not None:
        if sample_weight.shape != (n,):
            return None
        weights = np.asarray(sample_weight, dtype=dtype, order="C")
        # All-zero weights raise in scikit-learn; weights summing to zero make np.average raise.
        if not all_finite(weights) or not np.any(weights != 0) or weights.sum() == 0:
            return None
        weight = weights[:, None]
    numerator = np.sum(weight * (true - pred) ** 2, axis=0)
    mean = np.asarray(np.average(true, axis=0, weights=weights))
    denominator = np.sum(weight * (true - mean) ** 2, axis=0)
    return r2_from_sums(numerator, denominator)


def r2_from_sums(residual: np.ndarray, total: np.ndarray) -> float:
    """Return R² averaged over outputs, from each output's residual and total sums of squares.

    As ``sklearn.metrics.r2_score(force_finite=True)``: a perfect fit scores 1, and an
    imperfect fit of a constant target scores 0.

    Parameters
    ----------
    residual : ndarray of shape (n_outputs,)
        ``sum_i w_i (y_i - pred_i)**2`` per output.
    total : ndarray of shape (n_outputs,)
        ``sum_i w_i (y_i - mean(y))**2`` per output.

    Returns
    -------
    float
    """
    residual, total = np.asarray(residual), np.asarray(total)
    misfit, varies = residual != 0, total != 0
    scores = np.ones(residual.shape, dtype=np.result_type(residual, total))
    valid = misfit & varies
    scores[valid] = 1 - residual[valid] / total[valid]
    scores[misfit & ~varies] = 0.0
    return float(np.asarray(np.average(scores)))


class SklearnRegressorBase:
    """Base class of a scikit-learn-compatible regressor that does not import scikit-learn.

    It provides what ``sklearn.base.RegressorMixin`` and ``BaseEstimator`` provide and what
    scikit-learn's utilities use: parameters read from the ``__init__`` signature
    (:meth:`get_params`, :meth:`set_params`), scikit-learn's ``repr`` and notebook diagram,
    estimator tags, :meth:`score` (R²) and metadata-routing requests for the ``sample_weight``
    of ``fit``, ``partial_fit`` and ``score``. Instances are not ``sklearn.base.BaseEstimator``
    instances, so scikit-learn's ``check_estimator`` warns that they do not inherit from it,
    and then runs every check.

    As in scikit-learn, ``__init__`` must take every parameter explicitly by keyword and store it
    unchanged as an attribute of the same name.
    """

    if TYPE_CHECKING:

        def predict(self, X: Any) -> Any:
            """Predict targets (the subclass's)."""

    # -- parameters --------------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """Return the sorted parameter names of ``__init__``."""
        init = cls.__init__
        if init is object.__init__:
            return []
        parameters = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind != p.VAR_KEYWORD
        ]
        for p in parameters:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(
                    "scikit-learn estimators should always specify their parameters in the "
                    f"signature of their __init__ (no varargs). {cls} with constructor "
                    f"{inspect.signature(init)} doesn't follow this convention."
                )
        return sorted(p.name for p in parameters)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that are estimators, as
            ``<parameter>__<name>``.

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set the parameters of this estimator.

        Parameters
        ----------
        **params
            Estimator parameters; ``<parameter>__<name>`` sets a parameter of a parameter that
            is an estimator.

        Returns
        -------
        self
            This estimator.

        Raises
        ------
        ValueError
            For a name that is not a parameter.
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for full_key, value in params.items():
            key, delim, sub_key = full_key.partition("__")
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. "
                    f"Valid parameters are: {self._get_param_names()!r}."
                )
            if delim:
                nested.setdefault(key, {})[sub_key] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    # -- representation ----------------------------------------------------------------------

    def __repr__(self) -> str:
        params = self.get_params(deep=False)
        if _config_value("print_changed_only", True):
            defaults = {
                name: p.default for name, p in inspect.signature(type(self)).parameters.items()
            }
            params = {
                k: v
                for k, v in params.items()
                if _differs_from_default(v, defaults.get(k, inspect.Parameter.empty))
            }
        items = [f"{k}={v!r}" for k, v in sorted(params.items())]
        return _ellipsize(_layout(type(self).__name__, items))

    @property
    def _repr_html_(self):
        """HTML diagram for notebooks (scikit-learn's); defined when ``display="diagram"``."""
        if _config_value("display", "diagram") != "diagram":
            raise AttributeError(
                "_repr_html_ is only defined when the 'display' configuration option is set to "
                "'diagram'"
            )
        return self._repr_html_inner

    def _repr_html_inner(self) -> str:
        from sklearn.utils import estimator_html_repr

        return estimator_html_repr(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """Text and, when ``display="diagram"``, HTML representations for Jupyter."""
        output = {"text/plain": repr(self)}
        if _config_value("display", "diagram") == "diagram":
            output["text/html"] = self._repr_html_inner()
        return output

    # scikit-learn's diagram asks the estimator for its parameter and fitted-attribute tables;
    # BaseEstimator's implementations use only public attributes, so they are borrowed.
    def _get_params_html(self, deep: bool = True, doc_link: str = "") -> Any:
        from sklearn.base import BaseEstimator

        return BaseEstimator._get_params_html(self, deep, doc_link)

    def _get_fitted_attr_html(self, doc_link: str = "") -> Any:
        from sklearn.base import BaseEstimator

        return BaseEstimator._get_fitted_attr_html(self, doc_link)

    # -- tags and score ----------------------------------------------------------------------

    def __sklearn_tags__(self) -> Any:
        """Return scikit-learn's tags of a regressor, as ``RegressorMixin`` sets them.

        Returns
        -------
        sklearn.utils.Tags
        """
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True),
            transformer_tags=None,
            regressor_tags=RegressorTags(),
            classifier_tags=None,
        )

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Return the coefficient of determination R² of ``self.predict(X)``.

        As ``sklearn.base.RegressorMixin.score``: :func:`sklearn.metrics.r2_score` with
        ``multioutput="uniform_average"``; computed without scikit-learn for NumPy arrays.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
            1 for perfect predictions; 0 for the constant mean predictor; can be negative.
        """
        return r2_score(y, self.predict(X), sample_weight)

    # -- metadata routing --------------------------------------------------------------------

    @classmethod
    def _default_requests(cls, method_name: str) -> list[str]:
        """Return the metadata a method accepts (its arguments other than data)."""
        method = getattr(cls, method_name, None)
        if not inspect.isfunction(method):
            return []
        parameters = list(inspect.signature(method).parameters.values())[1:]
        return [
            p.name
            for p in parameters
            if p.name not in _DATA_ARGUMENTS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def _get_metadata_request(self) -> Any:
        from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

        if hasattr(self, "_metadata_request"):
            return get_routing_for_object(self._metadata_request)
        requests = MetadataRequest(owner=self)
        for method in _ROUTED_METHODS:
            for param in self._default_requests(method):
                getattr(requests, method).add_request(param=param, alias=None)
        return requests

    def get_metadata_routing(self) -> Any:
        """Get the metadata routing of this estimator (scikit-learn's metadata routing).

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRequest
            The metadata each method requests.
        """
        return self._get_metadata_request()

    def _set_request(self, method: str, **aliases: Any) -> Any:
        import sklearn

        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can "
                "enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        requests = self._get_metadata_request()
        for param, alias in aliases.items():
            if not (isinstance(alias, str) and alias == UNCHANGED):
                getattr(requests, method).add_request(param=param, alias=alias)
        self._metadata_request = requests
        return self

    def set_fit_request(self, *, sample_weight: bool | str | None = UNCHANGED) -> Any:
        """Request metadata for ``fit`` when this estimator is routed to by a meta-estimator.

        Only available with ``sklearn.set_config(enable_metadata_routing=True)``; see
        scikit-learn's metadata routing guide.

        Parameters
        ----------
        sample_weight : bool, str or None, default=UNCHANGED
            True: pass ``sample_weight`` to ``fit`` when given; False: do not; None: raise if
            given; a str: pass the metadata of that name as ``sample_weight``.

        Returns
        -------
        self
            This estimator.
        """
        return self._set_request("fit", sample_weight=sample_weight)

    def set_partial_fit_request(self, *, sample_weight: bool | str | None = UNCHANGED) -> Any:
        """Request metadata for ``partial_fit``, as :meth:`set_fit_request` does for ``fit``.

        Parameters
        ----------
        sample_weight : bool, str or None, default=UNCHANGED
            How ``sample_weight`` is routed to ``partial_fit``.

        Returns
        -------
        self
            This estimator.
        """
        return self._set_request("partial_fit", sample_weight=sample_weight)

    def set_score_request(self, *, sample_weight: bool | str | None = UNCHANGED) -> Any:
        """Request metadata for ``score``, as :meth:`set_fit_request` does for ``fit``.

        Parameters
        ----------
        sample_weight : bool, str or None, default=UNCHANGED
            How ``sample_weight`` is routed to ``score``.

        Returns
        -------
        self
            This estimator.
        """
        return self._set_request("score", sample_weight=sample_weight)
