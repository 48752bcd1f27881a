"""SciPy's L-BFGS-B on noether's own objective, for the evaluation count of a fit.

Runs `cargo bench --bench fit -- --serve CASE`, which serves the NLML and its gradient over the
free parameters (log-transformed positives), and minimises it from the same start with SciPy's
defaults (m = 10, ftol = factr·eps = 2.2e-9, gtol = 1e-5). Prints one JSON line.

    python3 benches/lbfgsb_reference.py hb
"""
import json, subprocess, sys, time
import numpy as np
from scipy.optimize import minimize

case = sys.argv[1] if len(sys.argv) > 1 else "hb"
proc = subprocess.Popen(["cargo", "bench", "-q", "--bench", "fit", "--", "--serve", case],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
theta0 = np.array([float(v) for v in proc.stdout.readline().split()])
evals = [0]

def f(theta):
    evals[0] += 1
    proc.stdin.write(" ".join(repr(float(v)) for v in theta) + "\n")
    proc.stdin.flush()
    parts = proc.stdout.readline().split()
    if parts[0] == "nan":
        return 1e100, np.zeros_like(theta)
    return float(parts[0]), np.array([float(v) for v in parts[1:]])

t = time.time()
r = minimize(f, theta0, jac=True, method="L-BFGS-B")
proc.stdin.close()
print(json.dumps({"case": case, "scipy": __import__("scipy").__version__, "evaluations": int(r.nfev),
                  "iterations": int(r.nit), "nlml": float(r.fun), "seconds": time.time() - t,
                  "message": str(r.message)}))
