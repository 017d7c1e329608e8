#!/usr/bin/env python3
"""Runs every nnc pass and pipeline over one input: `every-pass.py NNC_OPT FILE`.

The passes are the `--nn-*` and `--nnc-*` options that `NNC_OPT --help`
lists, so a new pass is covered without editing a test. Each run may succeed
or stop with a diagnostic (exit 1); a crash, any other exit status or a run
longer than 120 s is a failure. Prints one line per pass and exits 1 if any
failed.
"""

import re
import subprocess
import sys

nnc_opt, path = sys.argv[1], sys.argv[2]
help_text = subprocess.run([nnc_opt, "--help"], capture_output=True, text=True).stdout
passes = sorted(set(re.findall(r"^\s+(--nnc?-[a-z0-9-]+)\b", help_text, re.M)))
if not passes:
    sys.exit("every-pass: found no nn or nnc passes in nnc-opt --help")
failed = 0
for flag in passes:
    try:
        proc = subprocess.run([nnc_opt, path, flag], capture_output=True, text=True,
                              timeout=120)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        status = "timeout"
    ok = status in (0, 1)
    failed += not ok
    outcome = {0: "ok", 1: "diagnostic"}.get(status, f"FAILED ({status})")
    print(f"{flag}: {outcome}")
    if not ok:
        sys.stderr.write(proc.stderr if status != "timeout" else "")
print(f"every-pass: {len(passes)} passes, {failed} failed")
sys.exit(1 if failed else 0)
