"""Exceptions that carry a message meant for the user: what was wrong and how to fix it.

The CLI prints these as one line and exits with code 2; any other exception is
a bug and keeps its traceback.
"""

from sklearn.exceptions import NotFittedError as _SklearnNotFitted


class InputError(ValueError):
    """Bad input: data, arguments or options. The message says what to change."""


class InputTypeError(InputError, TypeError):
    """Input of a type that cannot be read as numbers (a TypeError too, as numpy raises)."""


class NotFittedError(InputError, _SklearnNotFitted):
    """A detector used before ``fit`` (scikit-learn's NotFittedError too)."""


class ModelFolderError(InputError):
    """A folder that is not a complete aedetect model folder."""


class TrainingError(RuntimeError):
    """Training could not go on (e.g. the loss became NaN). The message says what to try."""


class CollapseWarning(UserWarning):
    """The trained model reconstructs every input as (almost) the same output."""
