"""The estimator's solver names and parameter defaults, in a module light enough for ``--help``.

``LinearRegression.__init__`` spells its defaults out (scikit-learn's convention);
``tests/test_cli_options.py`` checks that they equal :data:`DEFAULTS`.
"""

#: Solver names the driver accepts.
SOLVERS = ("auto", "gram", "qr", "cg", "gd")

#: ``LinearRegression()``'s parameters, as ``get_params()`` returns them.
DEFAULTS = {
    "fit_intercept": True,
    "alpha": 0.0,
    "solver": "auto",
    "learning_rate": "auto",
    "max_iter": 1000,
    "tol": 1e-10,
    "accelerate": True,
    "standardize": True,
    "warm_start": False,
    "verbose": 0,
}
