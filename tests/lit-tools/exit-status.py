#!/usr/bin/env python3
"""Runs a command, passes its output through and prints its exit status.

`exit status: N` on stdout after the command's own output lets FileCheck
tell an error (1), bad usage (2) and a crash (a signal) apart. The script
itself always exits 0 so that the pipe into FileCheck decides the test.
"""

import subprocess
import sys

proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
sys.stdout.buffer.write(proc.stdout)
if proc.returncode < 0:
    print(f"exit status: crashed with signal {-proc.returncode}")
else:
    print(f"exit status: {proc.returncode}")
