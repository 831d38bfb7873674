"""Package attributes loaded on first use, and hints for missing extras.

`pip install "keras-action[litert]"` installs neither TensorFlow nor a Keras
backend, so the packages (`keras_action`, `keras_action.data`,
`keras_action.export`, `keras_action.training`) import their submodules only
when one of their names is used.
"""

import importlib

#: Optional dependencies and the extra of keras-action that installs each.
EXTRAS = {
    "tensorflow": "tensorflow",
    "tensorboard": "tensorflow",
    "matplotlib": "tensorflow",
    "ai_edge_litert": "litert",
    "torch": "torch",
}


def missing_dependency_hint(error):
    """Install advice for a `ModuleNotFoundError` of an optional dependency.

    Returns:
        A sentence naming the extra to install, or `None` when `error` is
        about a module that no extra provides.
    """
    module = (error.name or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return (
        f'{module} is missing; install it with `pip install "keras-action[{extra}]"`.'
    )


def lazy_attributes(package, sources):
    """`__getattr__` and `__dir__` for a package whose names load on first use.

    Args:
        package: the package's `__name__`.
        sources: `{name: module}`, modules relative to `package`, or absolute
            (`keras_action.…`) for a name re-exported from another package; a
            name equal to its submodule stands for the submodule itself.

    Returns:
        The two functions, to assign to the package's `__getattr__` and
        `__dir__` (PEP 562).
    """

    root = package.partition(".")[0]

    def __getattr__(name):
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        source = sources[name]
        if not source.startswith(f"{root}."):
            source = f"{package}.{source}"
        try:
            module = importlib.import_module(source)
        except ModuleNotFoundError as error:
            hint = missing_dependency_hint(error)
            if hint is None:
                raise
            raise ModuleNotFoundError(
                f"{package}.{name}: {hint}", name=error.name
            ) from error
        return module if name == sources[name] else getattr(module, name)

    def __dir__():
        return sorted(sources)

    return __getattr__, __dir__
