"""Builds the optional ahead-of-time compiled kernels (``skentropic/_core/_aot.py``); the rest is in setup.cfg."""

import importlib.util
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildKernels(build_ext):
    """Compile the kernels with numba.pycc; on any failure (no C compiler, no numba) install without them."""

    def build_extension(self, ext):
        target = self.get_ext_fullpath(ext.name)
        try:
            path = os.path.join(HERE, "skentropic", "_core", "_aot.py")
            spec = importlib.util.spec_from_file_location("_skentropic_aot", path)
            aot = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(aot)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            aot.build(os.path.dirname(target), os.path.basename(target), root=os.path.join(HERE, "skentropic"))
        except Exception as exc:  # noqa: BLE001 (the package works without them: numba compiles at first use)
            print(f"skentropic: kernels not compiled ahead of time ({type(exc).__name__}: {exc}); "
                  f"numba will compile them at first use")

    def copy_extensions_to_source(self):  # an editable install: only what was built
        inplace, self.inplace = self.inplace, 0
        built = [ext for ext in self.extensions if os.path.exists(self.get_ext_fullpath(ext.name))]
        self.inplace = inplace
        self.extensions, saved = built, self.extensions
        try:
            super().copy_extensions_to_source()
        finally:
            self.extensions = saved


setup(ext_modules=[Extension("skentropic._core._aot_kernels", sources=[])], cmdclass={"build_ext": BuildKernels})
