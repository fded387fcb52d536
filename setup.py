"""The one compiled module, backend/register/chunkscan.pyx (Cython): everything else is in
pyproject.toml. `make install-python` builds it in place (`setup.py build_ext --inplace`)."""

from Cython.Build import cythonize
from setuptools import setup

setup(ext_modules=cythonize(["backend/register/chunkscan.pyx"], quiet=True))
