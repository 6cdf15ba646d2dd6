"""Builds acquire_al._core from the header-only C++ library (pip install .).

Eigen 3 comes from the system (Debian: libeigen3-dev), pybind11 from the build environment
(pip install --no-build-isolation . uses the installed python3-pybind11); hnswlib's headers
(Debian: libhnswlib-dev, or HNSWLIB_INCLUDE_DIR), where found, give acquire_al.hnsw. The
translation units compile in parallel (one per core).
"""
import os
import pathlib
import subprocess
import sys

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

root = pathlib.Path(__file__).parent.resolve()
generated = root / "build" / "python-generated"
subprocess.run([sys.executable, str(root / "python" / "tools" / "docstrings.py"), str(root / "include"),
                str(generated / "docstrings.hpp")], check=True)


def eigen_include():
    for candidate in (os.environ.get("EIGEN3_INCLUDE_DIR"), "/usr/include/eigen3", "/usr/local/include/eigen3"):
        if candidate and (pathlib.Path(candidate) / "Eigen" / "Core").exists():
            return candidate
    try:
        return subprocess.run(["pkg-config", "--cflags-only-I", "eigen3"], check=True, capture_output=True,
                              text=True).stdout.strip()[2:]
    except (OSError, subprocess.CalledProcessError):
        sys.exit("acquire-al: Eigen 3 not found; install libeigen3-dev or set EIGEN3_INCLUDE_DIR")


def hnswlib_include():
    """hnswlib's include directory (acquire_al.hnsw), or None: the module is built without it."""
    for candidate in (os.environ.get("HNSWLIB_INCLUDE_DIR"), "/usr/include", "/usr/local/include"):
        if candidate and (pathlib.Path(candidate) / "hnswlib" / "hnswlib.h").exists():
            return candidate
    return None


hnswlib = hnswlib_include()
ParallelCompile("ACQUIRE_JOBS", default=0).install()
openmp = [] if os.environ.get("ACQUIRE_USE_OPENMP", "1") == "0" else ["-fopenmp"]
extension = Pybind11Extension(
    "acquire_al._core",
    sorted(str(p.relative_to(root)) for p in (root / "python" / "src").glob("*.cpp")),
    include_dirs=[str(root / "include"), str(root / "python" / "src"), str(generated), eigen_include()]
    + ([hnswlib] if hnswlib and hnswlib != "/usr/include" else []),
    define_macros=[("ACQUIRE_PY_HNSW", "1")] if hnswlib else [],
    cxx_std=17,
    extra_compile_args=["-O3", "-g0"] + openmp,
    extra_link_args=openmp,
)
setup(ext_modules=[extension], cmdclass={"build_ext": build_ext})
