# -*- Python -*-
# lit configuration for the nnc test suite.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "NNC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".nn", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "corpus",
                   "unittests"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "tests")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.nnc_tools_dir, config.llvm_tools_dir]
tools = [
    "nnc-opt",
    "nnc",
    ToolSubst("%python", config.python_executable, unresolved="fatal"),
    # Runs a command and prints its exit status, so tests can check that an
    # error exits with 1 and not with a crash.
    # Runs every nn and nnc pass over a file; fails on a crash.
    ToolSubst("%every-pass", config.python_executable + " " +
              os.path.join(config.test_source_root, "lit-tools", "every-pass.py"),
              unresolved="fatal"),
    # Checks that the loss in a training log falls.
    ToolSubst("%loss-falls", config.python_executable + " " +
              os.path.join(config.test_source_root, "lit-tools", "loss-falls.py"),
              unresolved="fatal"),
    ToolSubst("%exit-status", config.python_executable + " " +
              os.path.join(config.test_source_root, "lit-tools", "exit-status.py"),
              unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
config.substitutions.append(("%nnc_src_root", config.nnc_src_root))
config.substitutions.append(("%nnc_obj_root", config.nnc_obj_root))

import shutil

# `sanitized`: nnc built with -DNNC_SANITIZE (.ci/run's second build). Debian's
# libMLIR and libLLVM are not instrumented: container-overflow annotations
# and user poisoning in inline code they share with nnc would misfire.
# Open MPI's libraries, its dlopened components and libevent leave memory
# allocated at MPI_Finalize; tests/lsan-openmpi.supp names only those, and
# the slow unwinder lets LeakSanitizer see through them.
if getattr(config, "nnc_sanitize", ""):
    config.available_features.add("sanitized")
    config.environment["ASAN_OPTIONS"] = (
        "detect_container_overflow=0:allow_user_poisoning=0")
    # The slow unwinder only in MPI's processes: everywhere it would make
    # the suite four times slower.
    supp = os.path.join(config.nnc_src_root, "tests", "lsan-openmpi.supp")
    config.environment["NNC_TEST_MPI_LSAN_OPTIONS"] = (
        "suppressions=%s:fast_unwind_on_malloc=0" % supp)
    config.substitutions.append(
        (r"\bmpirun\b", "mpirun -x LSAN_OPTIONS=suppressions=%s:fast_unwind_on_malloc=0" % supp))

# `mpi`: Open MPI's mpirun, for `nnc train --distributed` (tools/setup.sh
# installs it). CI runs as root, which Open MPI refuses unless told.
if shutil.which("mpirun"):
    config.available_features.add("mpi")
    config.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    config.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    # Loopback only: no probing of other interfaces.
    config.environment["OMPI_MCA_btl_tcp_if_include"] = "lo"
    config.environment["OMPI_MCA_oob_tcp_if_include"] = "lo"
    # `netns`: network namespaces, for a two-host run on one machine
    # (root, iproute2, and a kernel that lets this process make them).
    import subprocess
    if (os.geteuid() == 0 and shutil.which("ip") and shutil.which("unshare")
            and subprocess.run(["unshare", "--net", "true"],
                               stderr=subprocess.DEVNULL).returncode == 0):
        config.available_features.add("netns")

# GPU features. `ptxas` (the CUDA toolkit's assembler) checks the PTX that
# nnc emits; `cuda-driver` says whether this machine can load the NVIDIA
# driver, which the tests of a GPU build's behaviour without one need absent.
import ctypes
import shutil

ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
# The CUDA toolkit that `nnc compile --target=cuda` needs (libdevice), found
# as nnc finds it.
for toolkit in filter(None, [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                             os.path.dirname(os.path.dirname(os.path.realpath(ptxas)))
                             if ptxas else None, "/usr/local/cuda"]):
    if os.path.exists(os.path.join(toolkit, "nvvm", "libdevice", "libdevice.10.bc")):
        config.available_features.add("cuda-toolkit")
    break
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
